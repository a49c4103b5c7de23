"""sendlib: rebuilding the evidence behind England's 'Delivering Better Value in SEND'."""

__version__ = "0.1.0"
