module github.com/netlink-exporter/netlink_exporter/deploy

go 1.26.0
