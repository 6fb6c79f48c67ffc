"""Carbon (CUE), renewable energy (REF) and water (WUE) per site and window.

``factors`` answers "how much CO2 per grid kWh, says who" for a site and a moment;
``calculator`` turns the energy engine's hourly buckets, the PUE windows and the inventory's
fuel and certificate data into :class:`~dcmon.engine.carbon.model.CarbonResult` and
:class:`~dcmon.engine.carbon.model.WaterResult` (docs/carbon.md).
"""
