"""IndustryOS: an open industrial IoT platform speaking ThingsBoard's wire contract."""

__version__ = "0.1.0"
