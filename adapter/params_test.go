package adapter

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseParamsRoundTrip(t *testing.T) {
	cfg := DefaultSamplerConfig()
	in := "adapter=B,lambda_ad=0.5,base=simans,pa_margin=0.1,k=50,tau_hn=2,a=0.25,b=-0.5,gamma=3,rho=0.5,theta_fn=0.9,gate_top=2,gate_depth=10," +
		"self_train=0.8,self_train_max=3,folds=4,k_lab=150,k_pred=10,random=-1,epochs=7,lr=0.002,mu=0.5,nu=0.25,beta=0,no_balance=1," +
		"no_residual=1,score_feature=1,rel_feature=1,lex_feature=1,pos_feature=1,pos_lex_feature=1,no_vectors=0"
	if err := ParseParams(in, &cfg); err != nil {
		t.Fatal(err)
	}
	if !cfg.Token || cfg.Base != BaseSimANS || cfg.K != 50 || cfg.SimB != -0.5 || cfg.Label.Random != -1 || !cfg.PosLexFeature || cfg.Fit.LR != 0.002 {
		t.Fatalf("parsed %+v", cfg)
	}
	// String writes every parameter, and ParseParams reads it back.
	s := cfg.String()
	if n := len(strings.Fields(s)); n != len(Params()) {
		t.Fatalf("String has %d fields for %d parameters: %s", n, len(Params()), s)
	}
	var back SamplerConfig
	if err := ParseParams(strings.ReplaceAll(s, " ", ","), &back); err != nil {
		t.Fatal(err)
	}
	if back.String() != s {
		t.Fatalf("round trip:\n%s\n%s", back.String(), s)
	}
	// Every parameter is in the help, with its default.
	help := ParamsHelp()
	for _, p := range Params() {
		if !strings.Contains(help, "  "+p.Name+" ") {
			t.Errorf("help lacks %s", p.Name)
		}
	}
}

func TestParseParamsRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"gamma=-1", "gamma"},
		{"rho=1.5", "rho"},
		{"k=0", "k"},
		{"k=2.5", "not an integer"},
		{"tau_hn=0", "tau_hn"},
		{"tau_hn=NaN", "tau_hn"},
		{"lambda_ad=Inf", "lambda_ad"},
		{"self_train=1", "self_train"},
		{"base=softmx", "base"},
		{"adapter=C", "adapter"},
		{"no_balance=maybe", "no_balance"},
		{"gamma", "name=value"},
		{"gama=1", `no parameter "gama"`},
		{"folds=0", "folds"},
	} {
		cfg := DefaultSamplerConfig()
		before := cfg.String()
		err := ParseParams(tc.in, &cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseParams(%q): %v, want an error naming %q", tc.in, err, tc.want)
		}
		if cfg.String() != before {
			t.Errorf("ParseParams(%q) changed the configuration on failure", tc.in)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := []SamplerConfig{
		{Gamma: -1}, {Rho: 2}, {K: -3}, {TauHN: -1}, {SelfTrain: 1.5}, {GateTop: -1}, {Base: "nope"},
		{Features: Features{NoVectors: true}},                                  // no scalar feature
		{Features: Features{NoVectors: true, Token: true, ScoreFeature: true}}, // adapter B
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted", c)
		}
		if _, err := NewSampler(c, 8, 1); err == nil {
			t.Errorf("NewSampler(%+v) accepted", c)
		}
	}
	if err := DefaultSamplerConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (SamplerConfig{}).Validate(); err != nil {
		t.Fatalf("the zero config (every default): %v", err)
	}
}

// TestParamUpperBounds checks the values that are finite and above a
// parameter's lower bound but absurd (a billion folds or pool entries, an
// exponent of 10³⁰⁰) are refused by name before any work: they used to be
// accepted and then allocated or overflowed.
func TestParamUpperBounds(t *testing.T) {
	for _, s := range []string{"folds=1000000000", "k=1000000000", "k_lab=99999999", "random=100000", "epochs=1000000",
		"gate_depth=1000000", "self_train_max=1000000", "gamma=1e300", "b=-1e300", "tau_hn=1e9", "lr=1e7", "beta=1e300"} {
		cfg := DefaultSamplerConfig()
		err := ParseParams(s, &cfg)
		name, _, _ := strings.Cut(s, "=")
		if err == nil || !strings.Contains(err.Error(), name+"=") || !strings.Contains(err.Error(), "out of its domain") {
			t.Errorf("%s: err %v, want it refused as out of its domain", s, err)
		}
	}
}

// TestRecommendedParams checks that the parameter list the commands use
// by default parses to RecommendedSamplerConfig and is valid.
func TestRecommendedParams(t *testing.T) {
	c := DefaultSamplerConfig()
	if err := ParseParams(RecommendedParams, &c); err != nil {
		t.Fatal(err)
	}
	if want := RecommendedSamplerConfig(); !reflect.DeepEqual(c, want) {
		t.Errorf("RecommendedParams parse to %+v,\nRecommendedSamplerConfig is %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}
