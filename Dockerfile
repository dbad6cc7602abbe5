# Runtime image for netlink_exporter, in the Prometheus pattern: no compiler
# in the image. Build the static binary first, then copy it in:
#
#   make docker                              # build .build/linux-amd64 + image
# or by hand:
#   make build GOOS=linux GOARCH=amd64 PREFIX=$PWD/.build/linux-amd64
#   docker build --build-arg ARCH=amd64 -t netlink-exporter .
#
# The base image is pulled from quay.io, which needs network access and a
# Docker engine; neither is needed for anything else in this repository.
#
# Running: the exporter needs CAP_NET_ADMIN, CAP_NET_BROADCAST (to listen to
# every namespace's links through NETLINK_LISTEN_ALL_NSID) and CAP_SYS_PTRACE
# (to open other processes' /proc/PID/ns/net). To watch the host rather than
# the container, share the host's network and pid namespaces and its
# namespace directories, with propagation so that later mounts show up:
#
#   docker run -d --name netlink_exporter \
#     --network host --pid host \
#     --cap-drop ALL --cap-add NET_ADMIN --cap-add NET_BROADCAST --cap-add SYS_PTRACE \
#     --mount type=bind,src=/run/netns,dst=/run/netns,readonly,bind-propagation=rslave \
#     netlink-exporter
#
# (/run/netns must exist on the host: `mkdir -p /run/netns`. Add a similar
# mount for /var/run/docker/netns to see containers' namespaces. A host
# AppArmor or SELinux policy may also deny reading /proc/PID/ns/net.)
#
# USER: the image runs as root, on purpose. Docker grants --cap-add
# capabilities to root processes only: a non-root USER such as nobody loses
# them at exec, because Docker sets no ambient capabilities and this base image
# has no setcap to give the binary file capabilities. Root with --cap-drop ALL
# and only the three capabilities above is the narrowest working setup.
ARG ARCH="amd64"
ARG OS="linux"
FROM quay.io/prometheus/busybox-${OS}-${ARCH}:latest

LABEL org.opencontainers.image.title="netlink_exporter" \
      org.opencontainers.image.description="Prometheus exporter counting Linux link events per network namespace via netlink" \
      org.opencontainers.image.source="https://github.com/netlink-exporter/netlink_exporter" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="The netlink_exporter Authors"

ARG ARCH="amd64"
ARG OS="linux"
COPY .build/${OS}-${ARCH}/netlink_exporter /bin/netlink_exporter
COPY LICENSE NOTICE /

EXPOSE 9917
USER root
ENTRYPOINT ["/bin/netlink_exporter"]
