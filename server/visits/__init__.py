"""Home visits (入户走访) logged by captains, mostly offline and synced later."""
