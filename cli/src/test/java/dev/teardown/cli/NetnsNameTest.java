package dev.teardown.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Container and pod names from {@code /proc/PID/cgroup} as each runtime and cgroup driver writes them. */
class NetnsNameTest {
    static final String ID = "9ab3c2d1e0f4" + "5".repeat(52);
    static final String POD = "5f1c0a2e-7b3d-4c8e-9f10-2a3b4c5d6e7f";

    @Test
    void dockerWithSystemdAndWithCgroupfs() {
        assertEquals(new NetnsName("docker 9ab3c2d1e0f4", "docker", ID, null),
                NetnsName.fromCgroup("0::/system.slice/docker-" + ID + ".scope\n"));
        assertEquals(new NetnsName("docker 9ab3c2d1e0f4", "docker", ID, null),
                NetnsName.fromCgroup("12:pids:/docker/" + ID + "\n11:memory:/docker/" + ID + "\n"));
    }

    @Test
    void kubernetesPodsUnderContainerdCriOAndCgroupfs() {
        String systemd = POD.replace('-', '_');
        assertEquals(new NetnsName("pod " + POD + " container 9ab3c2d1e0f4", "containerd", ID, POD),
                NetnsName.fromCgroup("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + systemd
                        + ".slice/cri-containerd-" + ID + ".scope\n"));
        assertEquals(new NetnsName("pod " + POD + " container 9ab3c2d1e0f4", "cri-o", ID, POD),
                NetnsName.fromCgroup("0::/kubepods.slice/kubepods-pod" + systemd + ".slice/crio-" + ID + ".scope\n"));
        assertEquals(new NetnsName("pod " + POD + " container 9ab3c2d1e0f4", "kubernetes", ID, POD),
                NetnsName.fromCgroup("4:pids:/kubepods/besteffort/pod" + POD + "/" + ID + "\n"));
        // the pod's own cgroup (no container yet): the pod alone
        assertEquals(new NetnsName("pod " + POD, "kubernetes", null, POD),
                NetnsName.fromCgroup("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + systemd + ".slice\n"));
    }

    @Test
    void podmanAndPlainProcessesAndUnreadableFiles() {
        assertEquals(new NetnsName("podman 9ab3c2d1e0f4", "podman", ID, null),
                NetnsName.fromCgroup("0::/machine.slice/libpod-" + ID + ".scope/container\n"));
        assertEquals(new NetnsName("container 9ab3c2d1e0f4", null, ID, null), NetnsName.fromCgroup("0::/default/" + ID + "\n"));
        assertNull(NetnsName.fromCgroup("0::/user.slice/user-1000.slice/session-3.scope\n"));
        assertNull(NetnsName.fromCgroup("0::/\n"));
        assertNull(NetnsName.fromCgroup(null));
    }
}
