"""Loading: every source read once (loader.load -> Sources), typed and validated as it is read."""
