"""`keras.callbacks`: the public names; the classes live in keraslite.training.callbacks."""
from keraslite.training.callbacks import (BackupAndRestore, BaseLogger, Callback, CallbackList, CSVLogger,
                                          EarlyStopping, History, LambdaCallback, LearningRateScheduler,
                                          ModelCheckpoint, ProgbarLogger, ReduceLROnPlateau, RemoteMonitor,
                                          SwapEMAWeights, TensorBoard, TerminateOnNaN)

__all__ = ["BackupAndRestore", "BaseLogger", "Callback", "CallbackList", "CSVLogger", "EarlyStopping",
           "History", "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger",
           "ReduceLROnPlateau", "RemoteMonitor", "SwapEMAWeights", "TensorBoard", "TerminateOnNaN"]
