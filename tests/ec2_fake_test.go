package tests

// The fake AWS CLI of ec2_test.go: the test binary itself, started under
// the name "aws" (a symlink in a temporary PATH), answers each call as the
// AWS CLI v2 would — the JSON of the API, narrowed by --query and printed
// by --output text — and keeps the account's key pairs, security groups
// and instances in a state file, so that a launch and a --destroy can be
// checked one after the other.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The fake's switches, in the environment of the script under test.
const (
	fakeAWSEnv     = "KOBAKO_FAKE_AWS"          // the fake's directory: state.json, calls.jsonl
	fakeNoCredsEnv = "KOBAKO_FAKE_AWS_NO_CREDS" // "1": no credentials configured
	fakeFailEnv    = "KOBAKO_FAKE_AWS_FAIL"     // an operation that fails: "run-instances"
)

// Started as "aws" with KOBAKO_FAKE_AWS set, the test binary is the fake
// AWS CLI and nothing else.
func init() {
	if filepath.Base(os.Args[0]) == "aws" && os.Getenv(fakeAWSEnv) != "" {
		os.Exit(fakeAWS(os.Getenv(fakeAWSEnv), os.Args[1:]))
	}
}

// fakeCloud is the fake account, kept in state.json between calls.
type fakeCloud struct {
	Next      int
	Keys      []fakeKey
	Groups    []fakeGroup
	Instances []fakeInstance
}

type fakeKey struct {
	Name, ID string
	Tags     map[string]string
}

type fakeGroup struct {
	ID, Name, Description string
	Tags                  map[string]string
	Ingress               []fakeRule
}

type fakeRule struct{ Protocol, Port, CIDR string }

type fakeInstance struct {
	ID, State, Image, Type, Key, IP, Metadata, Credits string
	Groups                                             []string
	Tags, VolumeTags                                   map[string]string
}

// The AMIs the fake's SSM parameters name, by architecture.
var fakeAMIs = map[string]string{"amd64": "ami-0a1b2c3d4e5f60718", "arm64": "ami-0f1e2d3c4b5a69788"}

var ubuntuParam = regexp.MustCompile(`^/aws/service/canonical/ubuntu/server/(24\.04|22\.04|20\.04|18\.04)/stable/current/(amd64|arm64)/hvm/(ebs-gp2|ebs-gp3)/ami-id$`)

// fakeAWS answers one call; its exit codes are the CLI's (253: no
// credentials, 254: the service said no, 252: a command it does not know).
func fakeAWS(dir string, args []string) int {
	if line, err := json.Marshal(args); err == nil {
		f, err := os.OpenFile(filepath.Join(dir, "calls.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%s\n", line)
			f.Close()
		}
	}
	if slices.Equal(args, []string{"--version"}) {
		fmt.Println("aws-cli/2.22.0 Python/3.12.6 Linux/6.8.0-31-generic exe/x86_64.ubuntu.24")
		return 0
	}
	var query, output string
	var words []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--region", "--profile", "--query", "--output":
			if i+1 < len(args) {
				if args[i] == "--query" {
					query = args[i+1]
				} else if args[i] == "--output" {
					output = args[i+1]
				}
				i++
			}
		default:
			words = append(words, args[i])
		}
	}
	if os.Getenv(fakeNoCredsEnv) == "1" {
		fmt.Fprintln(os.Stderr, "\nUnable to locate credentials. You can configure credentials by running \"aws configure\".")
		return 253
	}
	op, opts := fakeCommand(words)
	if fail := os.Getenv(fakeFailEnv); fail != "" && strings.HasSuffix(op, " "+fail) {
		return awsError("InsufficientInstanceCapacity", op, "We currently do not have sufficient capacity in the Availability Zone you requested.")
	}
	statePath := filepath.Join(dir, "state.json")
	var c fakeCloud
	if data, err := os.ReadFile(statePath); err == nil {
		if err := json.Unmarshal(data, &c); err != nil {
			fmt.Fprintln(os.Stderr, "fake aws: state:", err)
			return 255
		}
	}
	answer, code := c.call(op, opts)
	if code != 0 {
		return code
	}
	data, _ := json.Marshal(c)
	if err := os.WriteFile(statePath, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "fake aws: state:", err)
		return 255
	}
	if answer != nil {
		printAnswer(answer, query, output)
	}
	return 0
}

// fakeCommand splits "ec2 wait instance-running --instance-ids i-1 …"
// into "ec2 wait instance-running" and its options, each with its values.
func fakeCommand(words []string) (string, map[string][]string) {
	var cmd []string
	opts := map[string][]string{}
	flag := ""
	for _, w := range words {
		switch {
		case strings.HasPrefix(w, "--"):
			flag = w
			opts[flag] = opts[flag][:0:0]
		case flag == "":
			cmd = append(cmd, w)
		default:
			opts[flag] = append(opts[flag], w)
		}
	}
	return strings.Join(cmd, " "), opts
}

func awsError(code, op, msg string) int {
	fmt.Fprintf(os.Stderr, "\nAn error occurred (%s) when calling the %s operation: %s\n", code, op, msg)
	return 254
}

// call is the fake account's API: the answer in AWS's JSON shape.
func (c *fakeCloud) call(op string, o map[string][]string) (any, int) {
	one := func(flag string) string {
		if v := o[flag]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	c.Next++
	id := fmt.Sprintf("%017x", 0xc0ffee000+c.Next)
	switch op {
	case "sts get-caller-identity":
		return map[string]any{"UserId": "AIDAFAKEFAKEFAKEFAKE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/learner"}, 0
	case "ssm get-parameter":
		m := ubuntuParam.FindStringSubmatch(one("--name"))
		if m == nil {
			return nil, awsError("ParameterNotFound", "GetParameter", "")
		}
		return map[string]any{"Parameter": map[string]any{"Name": one("--name"), "Type": "String",
			"Value": fakeAMIs[m[2]], "Version": 42, "DataType": "aws:ec2:image"}}, 0
	case "ec2 create-key-pair":
		if c.key(one("--key-name")) != nil {
			return nil, awsError("InvalidKeyPair.Duplicate", "CreateKeyPair", "The keypair already exists")
		}
		k := fakeKey{Name: one("--key-name"), ID: "key-" + id, Tags: fakeTags(o, "key-pair")}
		c.Keys = append(c.Keys, k)
		return map[string]any{"KeyFingerprint": "fake", "KeyName": k.Name, "KeyPairId": k.ID,
			"KeyMaterial": "-----BEGIN OPENSSH PRIVATE KEY-----\nfake " + k.ID + "\n-----END OPENSSH PRIVATE KEY-----"}, 0
	case "ec2 create-security-group":
		g := fakeGroup{ID: "sg-" + id, Name: one("--group-name"), Description: one("--description"), Tags: fakeTags(o, "security-group")}
		c.Groups = append(c.Groups, g)
		return map[string]any{"GroupId": g.ID}, 0
	case "ec2 authorize-security-group-ingress":
		g := c.group(one("--group-id"))
		if g == nil {
			return nil, awsError("InvalidGroup.NotFound", "AuthorizeSecurityGroupIngress", "no such group")
		}
		g.Ingress = append(g.Ingress, fakeRule{one("--protocol"), one("--port"), one("--cidr")})
		return map[string]any{"Return": true}, 0
	case "ec2 run-instances":
		if !slices.Contains([]string{fakeAMIs["amd64"], fakeAMIs["arm64"]}, one("--image-id")) || c.key(one("--key-name")) == nil ||
			c.group(one("--security-group-ids")) == nil || one("--count") != "1" {
			return nil, awsError("InvalidParameterValue", "RunInstances", "image, key pair, security group or count")
		}
		in := fakeInstance{ID: "i-" + id, State: "pending", Image: one("--image-id"), Type: one("--instance-type"),
			Key: one("--key-name"), Groups: o["--security-group-ids"], Metadata: one("--metadata-options"),
			Credits: one("--credit-specification"), Tags: fakeTags(o, "instance"), VolumeTags: fakeTags(o, "volume")}
		c.Instances = append(c.Instances, in)
		return map[string]any{"Instances": []any{in.json()}}, 0
	case "ec2 wait instance-running", "ec2 wait instance-terminated":
		state := strings.TrimPrefix(op, "ec2 wait instance-")
		for _, id := range o["--instance-ids"] {
			in := c.instance(id)
			if in == nil {
				return nil, awsError("InvalidInstanceID.NotFound", "DescribeInstances", id)
			}
			in.State = state
			if state == "running" {
				in.IP = "198.51.100.23"
			} else {
				in.IP = ""
			}
		}
		return nil, 0
	case "ec2 describe-instances":
		var list []any
		for _, in := range c.Instances {
			if (len(o["--instance-ids"]) == 0 || slices.Contains(o["--instance-ids"], in.ID)) &&
				fakeMatch(o["--filters"], in.Tags, map[string]string{"instance-state-name": in.State}) {
				list = append(list, map[string]any{"ReservationId": "r-" + in.ID[2:], "Instances": []any{in.json()}})
			}
		}
		return map[string]any{"Reservations": orEmpty(list)}, 0
	case "ec2 describe-security-groups":
		var list []any
		for _, g := range c.Groups {
			if fakeMatch(o["--filters"], g.Tags, nil) {
				list = append(list, map[string]any{"GroupId": g.ID, "GroupName": g.Name, "Description": g.Description, "Tags": tagList(g.Tags)})
			}
		}
		return map[string]any{"SecurityGroups": orEmpty(list)}, 0
	case "ec2 describe-key-pairs":
		var list []any
		for _, k := range c.Keys {
			if fakeMatch(o["--filters"], k.Tags, nil) {
				list = append(list, map[string]any{"KeyName": k.Name, "KeyPairId": k.ID, "Tags": tagList(k.Tags)})
			}
		}
		return map[string]any{"KeyPairs": orEmpty(list)}, 0
	case "ec2 terminate-instances":
		var list []any
		for _, id := range o["--instance-ids"] {
			if in := c.instance(id); in != nil {
				list = append(list, map[string]any{"InstanceId": id, "PreviousState": map[string]any{"Name": in.State},
					"CurrentState": map[string]any{"Name": "shutting-down"}})
				in.State = "shutting-down"
			}
		}
		return map[string]any{"TerminatingInstances": orEmpty(list)}, 0
	case "ec2 delete-security-group":
		for _, in := range c.Instances {
			if in.State != "terminated" && slices.Contains(in.Groups, one("--group-id")) {
				return nil, awsError("DependencyViolation", "DeleteSecurityGroup", "resource "+one("--group-id")+" has a dependent object")
			}
		}
		c.Groups = slices.DeleteFunc(c.Groups, func(g fakeGroup) bool { return g.ID == one("--group-id") })
		return map[string]any{"Return": true, "GroupId": one("--group-id")}, 0
	case "ec2 delete-key-pair":
		c.Keys = slices.DeleteFunc(c.Keys, func(k fakeKey) bool { return k.Name == one("--key-name") })
		return map[string]any{"Return": true}, 0
	}
	fmt.Fprintf(os.Stderr, "fake aws: %q is not a call scripts/ec2/launch is expected to make\n", op)
	return nil, 252
}

func (c *fakeCloud) key(name string) *fakeKey {
	for i := range c.Keys {
		if c.Keys[i].Name == name {
			return &c.Keys[i]
		}
	}
	return nil
}

func (c *fakeCloud) group(id string) *fakeGroup {
	for i := range c.Groups {
		if c.Groups[i].ID == id {
			return &c.Groups[i]
		}
	}
	return nil
}

func (c *fakeCloud) instance(id string) *fakeInstance {
	for i := range c.Instances {
		if c.Instances[i].ID == id {
			return &c.Instances[i]
		}
	}
	return nil
}

func (in fakeInstance) json() map[string]any {
	m := map[string]any{"InstanceId": in.ID, "ImageId": in.Image, "InstanceType": in.Type, "KeyName": in.Key,
		"State": map[string]any{"Name": in.State}, "Tags": tagList(in.Tags)}
	if in.IP != "" {
		m["PublicIpAddress"] = in.IP
	}
	return m
}

var tagSpecRE = regexp.MustCompile(`^ResourceType=([a-z-]+),Tags=\[(.*)\]$`)
var tagRE = regexp.MustCompile(`\{Key=([^,}]+),Value=([^}]*)\}`)

// fakeTags reads the tags of resource type typ from --tag-specifications
// in the CLI's shorthand: ResourceType=instance,Tags=[{Key=k,Value=v},…].
func fakeTags(o map[string][]string, typ string) map[string]string {
	tags := map[string]string{}
	for _, spec := range o["--tag-specifications"] {
		if m := tagSpecRE.FindStringSubmatch(spec); m != nil && m[1] == typ {
			for _, kv := range tagRE.FindAllStringSubmatch(m[2], -1) {
				tags[kv[1]] = kv[2]
			}
		}
	}
	return tags
}

// fakeMatch applies --filters Name=tag:K,Values=a,b and Name=F,Values=…
// (F one of fields) to a resource with tags.
func fakeMatch(filters []string, tags, fields map[string]string) bool {
	for _, f := range filters {
		name, values, ok := strings.Cut(strings.TrimPrefix(f, "Name="), ",Values=")
		if !ok {
			return false
		}
		var have string
		if k, isTag := strings.CutPrefix(name, "tag:"); isTag {
			have = tags[k]
		} else if v, known := fields[name]; known {
			have = v
		} else {
			return false
		}
		if !slices.Contains(strings.Split(values, ","), have) {
			return false
		}
	}
	return true
}

func tagList(tags map[string]string) []any {
	list := []any{}
	for k, v := range tags {
		list = append(list, map[string]any{"Key": k, "Value": v})
	}
	return list
}

func orEmpty(list []any) []any {
	if list == nil {
		return []any{}
	}
	return list
}

// printAnswer prints v as the CLI does: narrowed by --query (the part of
// JMESPath the script uses: a.b, a[0], a[] flattening), then as JSON or,
// with --output text, scalars as they are, lists tab-separated, null as None.
func printAnswer(v any, query, output string) {
	data, _ := json.Marshal(v)
	var x any
	json.Unmarshal(data, &x)
	if query != "" {
		x = jmesPath(x, query)
	}
	if output != "text" {
		out, _ := json.MarshalIndent(x, "", "    ")
		fmt.Println(string(out))
		return
	}
	switch x := x.(type) {
	case nil:
		fmt.Println("None")
	case []any:
		if len(x) > 0 {
			s := make([]string, len(x))
			for i, e := range x {
				s[i] = fmt.Sprint(e)
			}
			fmt.Println(strings.Join(s, "\t"))
		}
	default:
		fmt.Println(x)
	}
}

func jmesPath(v any, query string) any {
	cur, projected := []any{v}, false
	for _, part := range strings.Split(query, ".") {
		name, index, indexed := strings.Cut(strings.TrimSuffix(part, "]"), "[")
		var next []any
		for _, c := range cur {
			m, _ := c.(map[string]any)
			x, ok := m[name]
			switch {
			case !ok:
			case !indexed:
				next = append(next, x)
			case index == "":
				list, _ := x.([]any)
				next, projected = append(next, list...), true
			default:
				list, _ := x.([]any)
				if n, err := strconv.Atoi(index); err == nil && n < len(list) {
					next = append(next, list[n])
				}
			}
		}
		cur = next
	}
	if projected {
		return orEmpty(cur)
	}
	if len(cur) == 0 {
		return nil
	}
	return cur[0]
}
