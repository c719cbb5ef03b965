// Command istio-oracle answers, with Istio's own code, two questions the test bed asks about routes:
// is this configuration valid (the function istiod's validating webhook calls), and which Envoy
// RouteConfiguration does pilot generate for a given caller's sidecar.
//
// Usage:
//
//	istio-oracle regex   < regexes.jsonl   one JSON string a line in, {"error": "..."} a line out
//	istio-oracle routes  < cases.jsonl     one case a line in (objects, caller), one answer a line out
//
// It is a test-bed tool: it runs pilot's config generation in process, without a server or cluster.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	networking "istio.io/api/networking/v1"
	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/networking/core"
	"istio.io/istio/pilot/pkg/serviceregistry/kube"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/config/schema/resource"
	_ "istio.io/istio/pkg/config/xds" // registers every Envoy type, so Any fields marshal to JSON
	"istio.io/istio/pkg/log"
	"istio.io/istio/pkg/test"
)

const domainSuffix = "cluster.local"

// verdict is Istio's answer for one object: empty error means the webhook would admit it.
type verdict struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Error     string `json:"error,omitempty"`
	Warning   string `json:"warning,omitempty"`
}

type caller struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
}

type routesCase struct {
	ID      string            `json:"id"`
	Objects []json.RawMessage `json:"objects"`
	Caller  caller            `json:"caller"`
}

type routesAnswer struct {
	ID       string            `json:"id"`
	Verdicts []verdict         `json:"verdicts"`
	Routes   []json.RawMessage `json:"routes"`
	Clusters []string          `json:"clusters"`
	Error    string            `json:"error,omitempty"`
}

func main() {
	// Answers alone go to stdout; Istio's logs go to stderr, and only its errors.
	opts := log.DefaultOptions()
	opts.OutputPaths = []string{"stderr"}
	opts.ErrorOutputPaths = []string{"stderr"}
	opts.SetDefaultOutputLevel(log.OverrideScopeName, log.ErrorLevel)
	_ = log.Configure(opts)

	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: istio-oracle regex|routes < input.jsonl")
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 256<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)

	switch os.Args[1] {
	case "regex":
		for in.Scan() {
			var re string
			if err := json.Unmarshal(in.Bytes(), &re); err != nil {
				fail(fmt.Errorf("line is not a JSON string: %w", err))
			}
			_ = enc.Encode(map[string]string{"error": validateHeaderRegex(re)})
		}
	case "routes":
		for in.Scan() {
			var c routesCase
			if err := json.Unmarshal(in.Bytes(), &c); err != nil {
				fail(fmt.Errorf("line is not a case: %w", err))
			}
			_ = enc.Encode(generate(c))
			_ = out.Flush()
		}
	default:
		fail(fmt.Errorf("unknown command %q (regex|routes)", os.Args[1]))
	}
	if err := in.Err(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "istio-oracle:", err)
	os.Exit(1)
}

// validateHeaderRegex answers what the webhook says of a VirtualService whose only match is this header regex.
func validateHeaderRegex(re string) string {
	vs := &networking.VirtualService{
		Hosts: []string{"reviews"},
		Http: []*networking.HTTPRoute{{
			Match: []*networking.HTTPMatchRequest{{Headers: map[string]*networking.StringMatch{
				"end-user": {MatchType: &networking.StringMatch_Regex{Regex: re}},
			}}},
			Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: "reviews"}}},
		}},
	}
	cfg := config.Config{
		Meta: config.Meta{GroupVersionKind: collections.VirtualService.GroupVersionKind(), Name: "probe", Namespace: "default"},
		Spec: vs,
	}
	if _, err := collections.VirtualService.ValidateConfig(cfg); err != nil {
		return err.Error()
	}
	return ""
}

// convert turns one Kubernetes object into Istio's model the way the webhook and pilot's Kubernetes registry do.
func convert(raw json.RawMessage) (*config.Config, *model.Service, verdict, error) {
	var obj crd.IstioKind
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, nil, verdict{}, fmt.Errorf("cannot decode object: %w", err)
	}
	v := verdict{Kind: obj.Kind, Namespace: obj.Namespace, Name: obj.Name}
	gvk := obj.GroupVersionKind()
	switch {
	case gvk.Group == "" && gvk.Kind == "Service":
		var svc corev1.Service
		if err := json.Unmarshal(raw, &svc); err != nil {
			return nil, nil, v, fmt.Errorf("cannot decode Service: %w", err)
		}
		return nil, kube.ConvertService(svc, nil, domainSuffix, "Kubernetes", domainSuffix), v, nil
	case gvk.Group == "apps" || gvk.Group == "":
		return nil, nil, v, nil // workloads only matter for endpoints, which routes do not need
	}
	s, ok := collections.PilotGatewayAPI().FindByGroupKind(resource.FromKubernetesGVK(&gvk))
	if !ok {
		v.Error = fmt.Sprintf("unrecognized type %v", gvk)
		return nil, nil, v, nil
	}
	cfg, err := crd.ConvertObject(s, &obj, domainSuffix)
	if err != nil {
		v.Error = fmt.Sprintf("error decoding configuration: %v", err)
		return nil, nil, v, nil
	}
	warnings, err := s.ValidateConfig(*cfg)
	if warnings != nil {
		v.Warning = warnings.Error()
	}
	if err != nil {
		v.Error = fmt.Sprintf("configuration is invalid: %v", err)
		return nil, nil, v, nil
	}
	return cfg, nil, v, nil
}

// generate validates the case's objects and builds the caller's routes from the valid ones, as pilot would push them.
func generate(c routesCase) (answer routesAnswer) {
	answer = routesAnswer{ID: c.ID, Verdicts: []verdict{}, Routes: []json.RawMessage{}, Clusters: []string{}}
	var configs []config.Config
	var services []*model.Service
	for _, raw := range c.Objects {
		cfg, svc, v, err := convert(raw)
		if err != nil {
			answer.Error = err.Error()
			return answer
		}
		if cfg != nil {
			configs = append(configs, *cfg)
		}
		if svc != nil {
			services = append(services, svc)
		}
		if v.Kind != "Service" && v.Kind != "Deployment" {
			answer.Verdicts = append(answer.Verdicts, v)
		}
	}
	ns := c.Caller.Namespace
	if ns == "" {
		ns = "default"
	}
	err := test.Wrap(func(t test.Failer) {
		cg := core.NewConfigGenTest(t, core.TestOptions{Configs: configs, Services: services})
		proxy := cg.SetupProxy(&model.Proxy{
			ConfigNamespace: ns,
			Labels:          c.Caller.Labels,
			Metadata:        &model.NodeMetadata{Namespace: ns, Labels: c.Caller.Labels},
			ID:              "caller." + ns,
		})
		marshal := protojson.MarshalOptions{UseProtoNames: false}
		for _, rc := range cg.Routes(proxy) {
			answer.Routes = append(answer.Routes, mustJSON(marshal, rc))
		}
		for _, cl := range cg.Clusters(proxy) {
			answer.Clusters = append(answer.Clusters, cl.Name)
		}
	})
	if err != nil {
		answer.Error = err.Error()
	}
	sort.Strings(answer.Clusters)
	return answer
}

func mustJSON(m protojson.MarshalOptions, msg proto.Message) json.RawMessage {
	b, err := m.Marshal(msg)
	if err != nil {
		fail(err)
	}
	return b
}
