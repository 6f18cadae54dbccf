"""Personal data (UU PDP): field encryption, keyed search hashes, masking."""
