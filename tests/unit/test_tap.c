/* SPDX-License-Identifier: MIT */
/*
 * The TAP link, hermetically: the test moves itself into a fresh network namespace (needs
 * CAP_SYS_ADMIN and /dev/net/tun; otherwise it is skipped), creates a TAP interface there, and
 * talks to it through a packet socket bound to that interface. Frames use the local
 * experimental EtherType 0x88b5 and never leave the namespace.
 */
#include "test_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IFNAME "hvtap0"
#define ETYPE 0x88b5

struct rec {
	pthread_mutex_t mu;
	unsigned frames;
	size_t len;
	uint8_t last[2048];
};

static void rec_rx(void *ctx, const void *frame, size_t len)
{
	struct rec *r = ctx;
	const uint8_t *f = frame;

	if (len < 14 || f[12] != (ETYPE >> 8) || f[13] != (ETYPE & 0xff))
		return; /* whatever the kernel itself sends (IPv6 solicitations...) */
	pthread_mutex_lock(&r->mu);
	r->frames++;
	r->len = len;
	memcpy(r->last, frame, len < sizeof(r->last) ? len : sizeof(r->last));
	pthread_mutex_unlock(&r->mu);
}

static unsigned rec_frames(struct rec *r)
{
	unsigned n;

	pthread_mutex_lock(&r->mu);
	n = r->frames;
	pthread_mutex_unlock(&r->mu);
	return n;
}

static int packet_socket(void)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETYPE));

	assert_true(s >= 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, IFNAME);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETYPE);
	sll.sll_ifindex = (int)if_nametoindex(IFNAME);
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return s;
}

static void frame(uint8_t *f, size_t len, uint8_t seed)
{
	memset(f, 0xff, 6);
	f[6] = 0x02;
	memset(f + 7, seed, 5);
	f[12] = ETYPE >> 8;
	f[13] = ETYPE & 0xff;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(seed + i);
}

static void test_tap_carries_frames_both_ways(void **state)
{
	struct rec rec = { .mu = PTHREAD_MUTEX_INITIALIZER };
	hv_netdev_t link;
	uint8_t f[200], got[2048];
	struct pollfd pfd;
	int s;

	(void)state;
	assert_int_equal(hv_netdev_tap(IFNAME, &link), HV_OK);
	s = packet_socket();
	link.ops->attach(link.ctx, rec_rx, &rec);

	/* Device -> interface: the kernel sees the frame arrive on hvtap0. */
	frame(f, sizeof(f), 1);
	link.ops->send(link.ctx, f, sizeof(f));
	pfd = (struct pollfd){ .fd = s, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(recv(s, got, sizeof(got), 0), (ssize_t)sizeof(f));
	assert_memory_equal(got, f, sizeof(f));

	/* Interface -> device: a frame sent out of hvtap0 reaches the rx callback. */
	frame(f, 100, 2);
	assert_int_equal(send(s, f, 100, 0), 100);
	for (int i = 0; i < 500 && rec_frames(&rec) == 0; i++)
		usleep(10000);
	assert_int_equal(rec_frames(&rec), 1);
	assert_int_equal(rec.len, 100);
	assert_memory_equal(rec.last, f, 100);

	/* After destroy, the reader is gone: nothing more arrives. */
	link.ops->destroy(link.ctx);
	close(s);
	assert_int_equal(rec_frames(&rec), 1);
}

static void test_tap_link_without_attach_can_be_destroyed(void **state)
{
	hv_netdev_t link;

	(void)state;
	assert_int_equal(hv_netdev_tap(IFNAME, &link), HV_OK);
	link.ops->destroy(link.ctx);
}

static void test_tap_checks_its_arguments(void **state)
{
	hv_netdev_t link = { 0 };

	(void)state;
	assert_int_equal(hv_netdev_tap(NULL, &link), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_netdev_tap(IFNAME, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_netdev_tap("", &link), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_netdev_tap("a-name-much-too-long-for-linux", &link),
			 HV_ERR_INVALID_ARG);
	assert_int_equal(hv_netdev_tap("bad/name", &link), HV_ERR_BACKEND);
	assert_null(link.ops);
}

/* ---- a virtio-net device on a TAP link ------------------------------------------------------- */

static void test_tap_under_a_virtio_net_device(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_virtio_net_config_t c = HV_VIRTIO_NET_CONFIG_INIT;
	hv_device_t *dev = NULL;
	uint8_t got[256];
	int s;

	(void)state;
	c.mmio.base = 0x10000000;
	c.mmio.irq = 5;
	assert_int_equal(hv_netdev_tap(IFNAME, &c.link), HV_OK);
	assert_int_equal(hv_virtio_net_add(vm, &c, &dev), HV_OK);
	s = packet_socket();
	/* The device is not live: frames from the interface are dropped, not crashed on. */
	frame(got, 64, 3);
	assert_int_equal(send(s, got, 64, 0), 64);
	usleep(50000);
	close(s);
	/* Destroying the VM stops the reader before the device's state goes. */
	hv_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_tap_checks_its_arguments),
		TS_TEST(test_tap_link_without_attach_can_be_destroyed),
		TS_TEST(test_tap_carries_frames_both_ways),
		TS_TEST(test_tap_under_a_virtio_net_device),
	};

	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("SKIP: /dev/net/tun is not available (%s)\n", strerror(errno));
		return 77;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: cannot create a network namespace (%s): the TAP test needs "
		       "CAP_SYS_ADMIN to stay hermetic\n",
		       strerror(errno));
		return 77;
	}
	{
		/* TUNSETIFF needs CAP_NET_ADMIN in the namespace; probe it once. */
		hv_netdev_t probe;
		hv_status_t st = hv_netdev_tap(IFNAME, &probe);

		if (st != HV_OK) {
			printf("SKIP: cannot create a TAP interface (%s)\n", hv_status_str(st));
			return 77;
		}
		probe.ops->destroy(probe.ctx);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
