def test_keras1_image_dim_ordering_switches_data_format():
    from keraslite import backend

    try:
        backend.set_image_dim_ordering("th")
        assert backend.image_data_format() == "channels_first" and backend.image_dim_ordering() == "th"
    finally:
        backend.set_image_dim_ordering("tf")
    assert backend.image_data_format() == "channels_last"
