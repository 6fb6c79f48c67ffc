"""dcmon: data-centre energy and capacity monitor."""

__version__ = "0.1.0"
