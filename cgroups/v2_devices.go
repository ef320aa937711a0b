package cgroups

// v2 devices: cgroup v2 has no devices.allow. Instead a cgroup may hold
// small programs that the kernel runs whenever a process of the cgroup
// opens a device node or makes one (BPF_PROG_TYPE_CGROUP_DEVICE); a
// program returns 1 to let it happen and 0 to refuse it with EPERM.
// kobako writes its program from the same state as v1's files
// (devices.go), in eBPF instructions, has the kernel check and load it,
// and attaches it to the container's cgroup directory. The shell has no
// twin for that but bpftool, given the program compiled into a file:
//
//	bpftool prog load devices.o /sys/fs/bpf/kobako-$ID type cgroup/dev
//	bpftool cgroup attach /sys/fs/cgroup/kobako/$ID device pinned /sys/fs/bpf/kobako-$ID multi
//	bpftool cgroup show /sys/fs/cgroup/kobako/$ID
//
// See Documentation/admin-guide/cgroup-v2.rst ("Device controller"),
// bpf(2), and Documentation/bpf/standardization/instruction-set.rst.

import (
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setDevices compiles the list's final state into a program and attaches
// it. No list, no program (see devices.go).
//
// Loading needs no RLIMIT_MEMLOCK raise: since Linux 5.11 a program's
// memory is charged to the memory cgroup instead, and cgroup v2 hosts
// (Ubuntu 22.04 on) run newer kernels.
func (m *v2) setDevices(list []specs.LinuxDeviceCgroup) error {
	if len(list) == 0 {
		return nil
	}
	filter, err := newDeviceFilter(list)
	if err != nil {
		return err
	}
	insns := deviceProgram(filter)
	// bpftool prog load devices.o /sys/fs/bpf/kobako-$ID type cgroup/dev
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "kobako_devices",
		Type:         ebpf.CGroupDevice,
		Instructions: insns,
		// The kernel asks every program for its license, and lets only
		// GPL-compatible ones call GPL-only helpers. This one calls none.
		License: "GPL",
	})
	m.tr.Step("load the device program", "(bpftool prog load devices.o … type cgroup/dev)",
		fmt.Sprintf("ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.CGroupDevice, Instructions: %d instructions})", len(insns)), err)
	if err != nil {
		return fmt.Errorf("load the device program: %w", err)
	}
	// Attached, the program is held by the cgroup: our handle may go.
	defer prog.Close()
	return m.attachDeviceProgram(prog)
}

// attachDeviceProgram attaches prog to the cgroup with BPF_PROG_ATTACH.
//
// Not as a bpf_link (link.AttachCgroup): a link detaches when its last fd
// is closed, unless pinned in /sys/fs/bpf, and kobako exits long before
// its containers do. An attachment made by BPF_PROG_ATTACH belongs to the
// cgroup: it stays after kobako exits, and goes when `rm` removes the
// cgroup. runc keeps its device program the same way.
//
// BPF_F_ALLOW_MULTI: a program attached so runs for every cgroup below as
// well, whatever programs they attach themselves, and a device must pass
// them all. A manager inside the container (systemd attaches device
// programs of its own) can then work without ever widening what ours
// allows; without a flag, nothing below could attach a program at all.
func (m *v2) attachDeviceProgram(prog *ebpf.Program) error {
	// An fd of the directory names the cgroup to bpf(2); O_PATH will not do.
	dir, err := os.OpenFile(m.dir(), os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open cgroup %s: %w", m.dir(), err)
	}
	defer dir.Close()
	// bpftool cgroup attach $CGROUP device id $PROG multi
	err = link.RawAttachProgram(link.RawAttachProgramOptions{
		Target: int(dir.Fd()), Program: prog, Attach: ebpf.AttachCGroupDevice, Flags: unix.BPF_F_ALLOW_MULTI,
	})
	if m.tr.Enabled() {
		m.tr.Step("attach the device program", fmt.Sprintf("(bpftool cgroup attach %s device id %s multi)", m.dir(), programID(prog)),
			"link.RawAttachProgram(…, ebpf.AttachCGroupDevice, unix.BPF_F_ALLOW_MULTI)", err)
	}
	if err != nil {
		return fmt.Errorf("attach the device program to %s: %w", m.dir(), err)
	}
	return nil
}

// programID is the kernel's id of prog, which bpftool takes, for the trace.
func programID(prog *ebpf.Program) string {
	if info, err := prog.Info(); err == nil {
		if id, ok := info.ID(); ok {
			return fmt.Sprint(id)
		}
	}
	return "?"
}

// deviceProgram compiles the filter into eBPF. The kernel calls the
// program with R1 pointing at a struct bpf_cgroup_dev_ctx
// (include/uapi/linux/bpf.h), three 32-bit words:
//
//	offset 0  access_type   (access << 16) | type
//	                        access: BPF_DEVCG_ACC_MKNOD 1, _READ 2, _WRITE 4, or-ed
//	                        type:   BPF_DEVCG_DEV_BLOCK 1, _CHAR 2
//	offset 4  major
//	offset 8  minor
//
// The program spreads them over registers first:
//
//	R2 = type  (access_type & 0xffff)     R4 = major
//	R3 = access (access_type >> 16)       R5 = minor
//
// then tests the exceptions, one block each. A block falls through to its
// verdict only if every test passes, and jumps to the next block at the
// first that fails; after the last block comes the default. For the
// exception "c 1:3 rw" under "deny everything":
//
//	rule0: if w2 != 2 goto rule1         // not a character device
//	       if w4 != 1 goto rule1         // major
//	       if w5 != 3 goto rule1         // minor (no test for a *)
//	       w1 = w3 & 1                   // the access asked for, minus r and w:
//	       if w1 != 0 goto rule1         //   asks for more than the rule gives
//	       r0 = 1; exit                  // allowed
//	rule1: …
//	rule2: r0 = 0; exit                  // the default: denied
//
// An exception to "allow everything" denies instead, and matches when it
// names any of the access asked for (w1 = w3 & access; if w1 == 0 goto
// next). That is v1's matching: an open for reading and writing needs one
// allow rule with both, and fails on a deny rule of either.
//
// The w registers are the 32-bit halves: the tests use the JMP32 class,
// so a number is compared as the kernel's unsigned 32 bits.
func deviceProgram(f *deviceFilter) asm.Instructions {
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
		asm.Mov.Reg32(asm.R3, asm.R2),
		asm.And.Imm32(asm.R2, 0xffff),
		asm.RSh.Imm32(asm.R3, 16),
		asm.LoadMem(asm.R4, asm.R1, 4, asm.Word),
		asm.LoadMem(asm.R5, asm.R1, 8, asm.Word),
	}
	label := func(i int) string { return fmt.Sprintf("rule%d", i) }
	for i, e := range f.exceptions {
		next := label(i + 1)
		block := asm.Instructions{asm.JNE.Imm32(asm.R2, deviceTypeBits[e.kind], next)}
		if e.major != anyNumber {
			block = append(block, asm.JNE.Imm32(asm.R4, int32(e.major), next))
		}
		if e.minor != anyNumber {
			block = append(block, asm.JNE.Imm32(asm.R5, int32(e.minor), next))
		}
		block = append(block, asm.Mov.Reg32(asm.R1, asm.R3))
		if f.allowByDefault {
			block = append(block, asm.And.Imm32(asm.R1, int32(e.access)), asm.JEq.Imm32(asm.R1, 0, next))
		} else {
			block = append(block, asm.And.Imm32(asm.R1, int32(accessAll&^e.access)), asm.JNE.Imm32(asm.R1, 0, next))
		}
		block = append(block, asm.Mov.Imm32(asm.R0, verdict(!f.allowByDefault)), asm.Return())
		block[0] = block[0].WithSymbol(label(i))
		insns = append(insns, block...)
	}
	return append(insns,
		asm.Mov.Imm32(asm.R0, verdict(f.allowByDefault)).WithSymbol(label(len(f.exceptions))),
		asm.Return())
}

// deviceTypeBits are the device types as the kernel hands them to the
// program.
var deviceTypeBits = map[byte]int32{'b': unix.BPF_DEVCG_DEV_BLOCK, 'c': unix.BPF_DEVCG_DEV_CHAR}

// verdict is what a device program returns: 1 allows, 0 refuses.
func verdict(allow bool) int32 {
	if allow {
		return 1
	}
	return 0
}
