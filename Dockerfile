# Tinbao: one `tinbao serve` process.
# Its working directory /data holds what it keeps on disk: the SQLite default (tinbao.db),
# the generated tinbao.key when TINBAO_SECRET_KEY is unset, and the media directory.
#
#   docker build -t tinbao .
#   docker run -p 127.0.0.1:8000:8000 -v tinbao-data:/data tinbao
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1

# The pinned dependencies first, in a layer of their own, so that a change to the code
# does not download them again. The runtime lock holds the same pins as pyproject.toml.
COPY requirements/runtime.txt /tmp/runtime.txt
RUN pip install --no-cache-dir -r /tmp/runtime.txt && rm /tmp/runtime.txt

# Then Tinbao itself; the source tree is not kept in the image.
COPY . /src
WORKDIR /src
RUN pip install --no-cache-dir . \
    && cd / \
    && rm -rf /src

# A user of its own: the service needs no root, only a writable /data.
RUN groupadd --system --gid 10001 tinbao \
    && useradd --system --uid 10001 --gid tinbao --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin tinbao \
    && mkdir -p /data \
    && chown tinbao:tinbao /data

WORKDIR /data
USER 10001:10001
# tinbao.key decrypts reporters' identities: losing /data with it loses them. Mount a volume.
VOLUME ["/data"]

EXPOSE 8000

# The slim image has no curl: ask /healthz with Python. 503 (database away) raises, exit 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Exec form: tinbao is PID 1 and receives SIGTERM itself, finishing its work before it exits.
CMD ["tinbao", "serve", "--host", "0.0.0.0", "--port", "8000"]
