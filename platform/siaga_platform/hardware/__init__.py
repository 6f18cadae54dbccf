"""Recording hardware: sites, devices, heartbeats and the device state derived from them."""
