package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rrra/rrra/adapter"
)

// rrraParamsHelp documents --sampler-params for --sampler rrra.
const rrraParamsHelp = `adapter=A|B, lambda_ad=0 (stage-3 joint loss), base=softmax|uniform|simans|positive-aware, pa_margin=0.05, k=100, tau_hn=1, a=0.5, b=0, gamma=1, rho=0.25,
theta_fn=0 (no gate), gate_top=0 (drop the j most suspect of the top gate_depth=20), self_train=0 (off; θ: promote candidates with s_FN > θ to positives), self_train_max=1 (per query per refresh), folds=2, k_lab=200, k_pred=20, random=8, epochs=40, lr=0.001,
mu=1, nu=1, beta=0.1, no_balance=0|1, no_residual=0|1, score_feature=0|1, rel_feature=0|1, lex_feature=0|1, pos_feature=0|1, pos_lex_feature=0|1,
no_vectors=0|1 (features only)`

// parseRRRAParams overrides cfg's fields from "name=value,...".
func parseRRRAParams(s string, cfg *adapter.SamplerConfig) error {
	if s == "" {
		return nil
	}
	for _, f := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(f, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return fmt.Errorf("rrra sampler parameter %q: want name=value", f)
		}
		switch k {
		case "base":
			cfg.Base = v
			continue
		case "adapter":
			switch v {
			case "A", "a":
				cfg.Token = false
			case "B", "b":
				cfg.Token = true
			default:
				return fmt.Errorf("rrra sampler parameter adapter=%q: want A (pooled) or B (token-level)", v)
			}
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("rrra sampler parameter %s=%q: not a number", k, v)
		}
		switch k {
		case "k":
			cfg.K = int(x)
		case "tau_hn":
			cfg.TauHN = x
		case "a":
			cfg.SimA = x
		case "b":
			cfg.SimB = x
		case "pa_margin":
			cfg.PAMargin = x
		case "lambda_ad":
			cfg.LambdaAd = x
		case "gamma":
			cfg.Gamma = x
		case "rho":
			cfg.Rho = x
		case "theta_fn":
			cfg.ThetaFN = x
		case "gate_top":
			cfg.GateTop = int(x)
		case "gate_depth":
			cfg.GateDepth = int(x)
		case "self_train":
			cfg.SelfTrain = x
		case "self_train_max":
			cfg.SelfTrainMax = int(x)
		case "folds":
			cfg.Folds = int(x)
		case "k_lab":
			cfg.Label.KLab = int(x)
		case "k_pred":
			cfg.Label.KPred = int(x)
		case "random":
			cfg.Label.Random = int(x)
		case "epochs":
			cfg.Fit.Epochs = int(x)
		case "lr":
			cfg.Fit.LR = x
		case "mu":
			cfg.Fit.Loss.Mu = x
		case "nu":
			cfg.Fit.Loss.Nu = x
		case "beta":
			cfg.Fit.Loss.Beta = x
		case "no_balance":
			cfg.Label.NoBalance = x != 0
		case "no_residual":
			cfg.NoResidual = x != 0
		case "score_feature":
			cfg.ScoreFeature = x != 0
		case "rel_feature":
			cfg.RelFeature = x != 0
		case "lex_feature":
			cfg.LexFeature = x != 0
		case "pos_feature":
			cfg.PosFeature = x != 0
		case "pos_lex_feature":
			cfg.PosLexFeature = x != 0
		case "no_vectors":
			cfg.NoVectors = x != 0
		default:
			return fmt.Errorf("rrra sampler has no parameter %q (have %s)", k, rrraParamsHelp)
		}
	}
	return nil
}
