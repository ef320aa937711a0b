package container

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/kobako/kobako/netns"
)

// The request survives its trip through config.json's annotations.
func TestNetworkRequestAnnotations(t *testing.T) {
	port, _ := netns.ParsePortMapping("127.0.0.1:8080:80/udp")
	for _, req := range []NetworkRequest{
		{Mode: NetworkNone},
		{Mode: NetworkHost, DNS: []netip.Addr{netip.MustParseAddr("1.1.1.1")}},
		{Mode: NetworkContainer, Container: "web"},
		{
			Mode: NetworkBridge, Ports: []netns.PortMapping{port}, IP: netip.MustParseAddr("192.168.77.9"),
			Subnet:   netip.MustParsePrefix("192.168.77.0/24"),
			DNS:      []netip.Addr{netip.MustParseAddr("9.9.9.9"), netip.MustParseAddr("1.1.1.1")},
			AddHosts: []netns.HostEntry{{Name: "db", Addr: netip.MustParseAddr("10.0.0.5")}},
		},
	} {
		annotations := map[string]string{}
		req.Annotate(annotations)
		got, err := NetworkRequestOf(annotations)
		if err != nil || !reflect.DeepEqual(got, req) {
			t.Errorf("round trip of %+v through %v = %+v, %v", req, annotations, got, err)
		}
	}
	if got, err := NetworkRequestOf(nil); err != nil || got.Mode != NetworkNone {
		t.Errorf("no annotations = %+v, %v; want none", got, err)
	}
	for _, bad := range []map[string]string{
		{NetworkAnnotation: "overlay"},
		{NetworkAnnotation: NetworkBridge, PortsAnnotation: "80"},
		{NetworkAnnotation: NetworkBridge, IPAnnotation: "nowhere"},
	} {
		if got, err := NetworkRequestOf(bad); err == nil {
			t.Errorf("NetworkRequestOf(%v) = %+v, want an error", bad, got)
		}
	}
}
