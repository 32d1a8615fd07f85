"""Over-the-air firmware and software packages (spec device-api §2.13, platform-api §3.10).

Modules, one concern each: ``wire`` (enums and key names), ``schema`` (the table),
``model`` (the REST shape), ``checksums`` (streaming digests), ``content`` (files in the
data dir), ``packages`` (the tenant-scoped package service), ``assignments`` (effective
package per device and the fw_*/sw_* shared attributes), ``status`` (update state per
device and profile) and ``downloads`` (chunks for the device transports). Nothing is
imported here, so the storage layer can gather ``schema`` without pulling in services.
"""
