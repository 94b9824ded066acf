"""The domain of Upstream Atlas: geography, geocoding, overlays and deserts. No HTTP, no HTML."""
