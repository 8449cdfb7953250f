import Crypto

/// OpenPGP messages encrypted to a customer's public key (RFC 4880 / 9580).
public enum OpenPGPModule {}
