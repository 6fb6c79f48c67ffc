# dcmon as a container: `docker compose up` (docker-compose.yml) or
#   docker build -t dcmon . && docker run -v $PWD/site.yaml:/etc/dcmon/site.yaml:ro dcmon
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# constraints.txt: the exact versions the tests passed with (scripts/constraints.py).
COPY pyproject.toml README.md constraints.txt ./
COPY dcmon ./dcmon
COPY collectors ./collectors
COPY exporters ./exporters
RUN pip install -c constraints.txt . \
    && useradd --system --uid 10001 --home-dir /var/lib/dcmon --shell /usr/sbin/nologin dcmon \
    && mkdir -p /var/lib/dcmon /etc/dcmon \
    && chown dcmon /var/lib/dcmon

# State (SQLite energy store, alert state, InfluxDB spool): set state_dir: /var/lib/dcmon in the
# inventory and keep it on a volume.
VOLUME /var/lib/dcmon
WORKDIR /var/lib/dcmon
USER dcmon
# /metrics and the REST API (bind them to 0.0.0.0 in the inventory).
EXPOSE 9630 9640

ENTRYPOINT ["dcmon"]
CMD ["run", "--config", "/etc/dcmon/site.yaml"]
