# syntax=docker/dockerfile:1.7
# PosSync in a container, from the same jar as the Debian package. Build the jar first (the image
# does not run Maven), then the image:
#   mvn -B -Dpossync.quick -Dmaven.test.skip=true package
#   docker build -t possync .
#   docker run -d -p 8443:8443 -v possync-data:/data -e POSSYNC_TLS_PORT=8443 ... possync
# See docs/operations.md, "In a container". Not built by this project's CI (no container engine
# there): the jar, the launcher's settings and /healthz are what the Debian package test checks.
FROM eclipse-temurin:17-jre

RUN groupadd --system possync \
 && useradd --system --gid possync --home-dir /data --shell /usr/sbin/nologin possync \
 && install -d -o possync -g possync -m 750 /data \
 && install -d -m 755 /opt/possync /etc/possync

COPY target/possync.jar /opt/possync/possync.jar
COPY conf/logback.xml conf/logback-json.xml /etc/possync/
COPY --chmod=755 <<'LAUNCHER' /usr/local/bin/possync
#!/bin/sh
exec java -Dlogback.configurationFile=/etc/possync/logback.xml ${POSSYNC_JAVA_OPTS:-} \
  -jar /opt/possync/possync.jar "$@"
LAUNCHER

# Every setting can be given as POSSYNC_<KEY> (docs: conf/possync.properties); these make a
# container usable from the network, in token mode, with its state in the volume.
ENV POSSYNC_STORE_DATA_DIR=/data \
    POSSYNC_HTTP_HOST=0.0.0.0 \
    POSSYNC_AUTH_MODE=token \
    POSSYNC_JAVA_OPTS="-XX:MaxRAMPercentage=50"

USER possync
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8079 8443

# /healthz on the admin listener (127.0.0.1:8078 inside the container), without curl or wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${POSSYNC_ADMIN_PORT:-8078} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["possync"]
CMD ["serve"]
