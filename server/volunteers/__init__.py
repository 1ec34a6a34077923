"""Registration, normalisation of what people type, and station approval."""
