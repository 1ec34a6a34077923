"""The city's community volunteer service: a Litestar app, one package per feature."""
