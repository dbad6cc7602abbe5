// Copyright The netlink_exporter Authors
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// nlfloor is the floor of the bench's CPU bar: the least a listener of the
// exporter's design can do per link event. It opens one NETLINK_ROUTE socket
// subscribed to RTNLGRP_LINK of every namespace that has an nsid, drains it
// with non-blocking recvmsg(2) into a 64 KiB buffer, rests 10 ms when it is
// empty (the exporter's coalescing pause), and counts message headers.
//
//	nlfloor NSID
//
// It prints "ready" once subscribed. On SIGTERM it reads what is queued, then
// prints "<link messages> <RTM_NEWLINK of NSID> <overruns>" and exits.
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef NETLINK_LISTEN_ALL_NSID
#define NETLINK_LISTEN_ALL_NSID 8
#endif

static volatile sig_atomic_t stopped;

static void on_term(int sig) {
	(void)sig;
	stopped = 1;
}

static int fail(const char *what) {
	fprintf(stderr, "nlfloor: %s: %s\n", what, strerror(errno));
	return 1;
}

// source_nsid returns the nsid that the kernel attached to a datagram from
// another namespace, or -1 for the listener's own.
static int source_nsid(struct msghdr *mh) {
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID) {
			int id;
			memcpy(&id, CMSG_DATA(c), sizeof id);
			return id;
		}
	}
	return -1;
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: nlfloor NSID\n");
		return 2;
	}
	int want = atoi(argv[1]);

	struct sigaction sa = {.sa_handler = on_term};
	if (sigaction(SIGTERM, &sa, NULL) < 0)
		return fail("sigaction");

	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return fail("socket");
	// The exporter's default receive buffer, so that neither drops events
	// the other keeps.
	int rcvbuf = 8 << 20, one = 1, group = RTNLGRP_LINK;
	struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
		return fail("bind");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
		return fail("SO_RCVBUFFORCE");
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
		return fail("NETLINK_ADD_MEMBERSHIP");
	if (setsockopt(fd, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &one, sizeof one) < 0)
		return fail("NETLINK_LISTEN_ALL_NSID");
	printf("ready\n");
	fflush(stdout);

	static char buf[64 << 10];
	static char oob[CMSG_SPACE(sizeof(int))];
	long links = 0, created = 0, overruns = 0;
	const struct timespec rest = {.tv_nsec = 10 * 1000 * 1000};
	for (;;) {
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
		struct msghdr mh = {
		    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = oob, .msg_controllen = sizeof oob};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				overruns++;
			} else if (errno == EAGAIN || errno == EINTR) {
				if (stopped)
					break;
				nanosleep(&rest, NULL);
			} else {
				return fail("recvmsg");
			}
			continue;
		}
		int nsid = source_nsid(&mh);
		int len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
				continue;
			links++;
			if (h->nlmsg_type == RTM_NEWLINK && nsid == want)
				created++;
		}
	}
	printf("%ld %ld %ld\n", links, created, overruns);
	return 0;
}
