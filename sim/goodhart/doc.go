// Package goodhart is the reward-model over-optimisation world (Gao,
// Schulman and Hilton 2022; sycophancy from biased labellers, Sharma et al.
// 2023).
//
// A prompt x = [v, z] carries the user's stated view v = ±1 and a topic
// z ∈ Rᵐ whose truth is t(x) = sign(z·u) for a hidden unit vector u. A
// candidate response y has features φ = [s, q, l, n]: a stance s = ±1 (the
// answer it gives), quality q ∈ R³, look-good features l (lⱼ = ρ qⱼ +
// √(1−ρ²) ε: they go with quality but the gold reward ignores them) and
// noise n. All but the stance are heavy-tailed (Student-t with ν degrees of
// freedom, unit variance). The gold reward has diminishing returns and an
// optimum in each quality,
//
//	r*(x, y) = Σⱼ qⱼ exp(−qⱼ²/(2σ²)) + w·s·t(x),
//
// so a candidate far out in a quality's tail is worse, not better. The
// reference policy is π₀(y|x) ∝ exp(θ₀·φ) over a prompt's candidates, θ₀ a
// small random vector. Labellers compare two candidates drawn from π₀ and
// prefer a with the Bradley–Terry probability σ(u(a) − u(b)), u = r* + b·[s
// = v] (b > 0: a bias toward agreeing with the user). The proxy reward r̂ is
// an MLP on [x, φ] fitted to those comparisons by Bradley–Terry likelihood
// with early stopping.
//
// Two optimisers then chase the proxy. Best-of-n draws n responses from π₀
// and keeps the proxy's favourite: over a prompt's candidates ranked by r̂
// with cumulative reference mass Fᵢ, P_n(i) = Fᵢⁿ − Fᵢ₋₁ⁿ exactly, and
// KL(P_n‖π₀) = log n − (n−1)/n. RL trains a policy π_w(y|x) ∝ π₀(y|x)
// exp(h_w(x, φ)) by the exact policy gradient over each prompt's candidates
// of E_π[r̂] − β KL(π‖π₀). Nothing in the proxy or the optimisers knows where
// gold turns down: the proxy is fitted where π₀'s comparisons put data, the
// heavy tails that the optimisers reach are where it has almost none, and a
// ReLU network extrapolates there linearly while gold falls. With the proxy
// set to gold (infinite clean data), gold never falls; with Gaussian
// features (ν = 0) the tails are thin and there is little to over-optimise.
//
// Metrics are measured exactly on a held-out pool of prompts and
// candidates: proxy and gold reward under the policy, KL to π₀ and d =
// √KL, and sycophancy, the chance of agreeing with a user who is wrong.
// Gao's functional forms — gold gain d(α − βd) for best-of-n, d(α − β log d)
// for RL — are fitted after a run by FitGao.
package goodhart
