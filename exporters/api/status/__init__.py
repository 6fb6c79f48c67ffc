"""The HTML status page (``/status``): city, site and rack views rendered on the server, with
inline SVG charts and no JavaScript, in Chinese or English."""
