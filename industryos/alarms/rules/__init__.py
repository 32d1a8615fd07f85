"""Device-profile alarm rules (spec §6.1, §6.2), evaluated for the device profile rule node."""
