"""REST routes, one module per resource family (ThingsBoard's paths and shapes)."""
