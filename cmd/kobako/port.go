package main

// kobako port: a container's published ports (-p), as docker port prints
// them. They are the bridge's NAT rules for it (nft list table ip kobako);
// the record keeps them while it runs.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/netns"
)

func portCommand() *cli.Command {
	return &cli.Command{
		Name:      "port",
		Usage:     "show a container's published ports",
		ArgsUsage: "CONTAINER [PORT[/PROTO]]",
		Description: `Prints each port a running container publishes (run -p HOST:CTR) as
"CTR/PROTO -> HOST_IP:HOST_PORT", or for one container port only the host's
side. A stopped container publishes nothing.

Examples:
   sudo kobako run -d --name web -p 8080:80 busybox httpd -f -p 80
   sudo kobako port web            # 80/tcp -> 0.0.0.0:8080
   sudo kobako port web 80         # 0.0.0.0:8080`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			args := cmd.Args().Slice()
			if len(args) == 0 || len(args) > 2 {
				return errors.New(`"port" needs a container: kobako port CONTAINER [PORT[/PROTO]]`)
			}
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			c, err := store.Lookup(args[0])
			if err != nil {
				return err
			}
			ports, err := publishedPorts(store, c)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				for _, p := range ports {
					fmt.Printf("%d/%s -> %s\n", p.ContainerPort, p.Protocol, hostSide(p))
				}
				return nil
			}
			return printOnePort(c, ports, args[1])
		},
	}
}

// publishedPorts are c's -p mappings while it runs, none otherwise.
func publishedPorts(store *container.Store, c *container.Container) ([]netns.PortMapping, error) {
	st, err := store.Status(c)
	if err != nil || st.State != specs.StateRunning || c.Network == nil || c.Network.Endpoint == nil {
		return nil, err
	}
	return c.Network.Endpoint.Ports, nil
}

// printOnePort prints the host side of the container's port spec
// ("80", "80/udp"), docker's `port CONTAINER 80`.
func printOnePort(c *container.Container, ports []netns.PortMapping, spec string) error {
	num, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 || proto != "tcp" && proto != "udp" {
		return fmt.Errorf("port %s: want a container port like 80 or 53/udp", showValue(spec))
	}
	found := false
	for _, p := range ports {
		if uint64(p.ContainerPort) == n && p.Protocol == proto {
			fmt.Println(hostSide(p))
			found = true
		}
	}
	if !found {
		return fmt.Errorf("container %s publishes no port %d/%s", c.Name, n, proto)
	}
	return nil
}

// hostSide is HOST_IP:HOST_PORT, 0.0.0.0 for every address of the host.
func hostSide(p netns.PortMapping) string {
	ip := "0.0.0.0"
	if p.HostIP.IsValid() {
		ip = p.HostIP.String()
	}
	return ip + ":" + strconv.Itoa(int(p.HostPort))
}
