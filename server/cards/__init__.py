"""The digital volunteer card, its signed QR codes, printed cards and star levels."""
