"""The methods note: for each claim, the design, the rule, the robustness alternatives and what
would change the verdict, written from the catalog (so the note cannot drift from the rules).

``python -m techties.claims.methods > docs/methods.md`` regenerates docs/methods.md; a test checks
that the committed file is current. The report carries the same text as its appendix.
"""

from __future__ import annotations

from techties.claims.catalog import Claim, load_catalog

PREAMBLE = """\
# Methods: how each claim is checked

Generated from `src/techties/claims/catalog.yaml` by `python -m techties.claims.methods`; the
report carries the same text as its appendix.

## How a verdict is given

- **The claim as stated.** Each claim is checked as the debate states it. Where the data measure
  only a proxy (activity for "gains", degrees for "candidates"), the decisive part is marked as
  not measured and the verdict is *unverifiable*, with the proxy's direction reported as evidence.
- **Evidence kinds.** Every decisive test says whether it rests on observed data, a statistical
  estimate or a model counterfactual; a verdict is as strong as its weakest decisive part, and the
  report counts verdicts of each kind apart. A model-based verdict says so in its badge and title.
- **Intervals decide.** A test is *supported* or *contradicted* only when its whole interval (a
  confidence interval for estimates, a band over parameter draws for model results; observed
  counts have none) lies beyond the rule's threshold. An interval that straddles a threshold is
  *mixed*. The distance to the threshold is shown with every test; a pass by less than a tenth of
  the gap between the two thresholds is flagged as a knife-edge.
- **Claims with parts.** A claim with several parts ("hurts both countries") is supported only when
  every part is, contradicted when any part is, and unverifiable when a part cannot be measured.
- **Counterfactuals for effect claims.** A claim that a policy caused something is tested against
  what would have happened without it: the pre-policy trend projected forward (with its prediction
  interval), comparators (difference-in-differences in trends) and placebo dates. Before/after
  alone can support "it changed", never "the policy changed it".
- **Robustness.** Each verdict is recomputed under reasonable alternative choices (windows, base
  years, product sets, comparators, and every threshold moved by half towards and away from its
  neutral value). A supported or contradicted verdict that any computable alternative changes is
  reported as *mixed (fragile)*; the share of specifications giving each verdict is shown.
- **Rules first.** Thresholds are module constants next to each checker and are stated in the
  catalog; they were set from the claim's wording, not from the result.

## The claims
"""


def claim_markdown(claim: Claim) -> str:
    """One claim's section of the methods note."""
    lines = [f"### {claim.number}. {claim.paraphrase}", ""]
    if claim.stated:
        by = f" ({claim.stated_by})" if claim.stated_by else ""
        lines += [f"*As stated in the debate{by}:* {claim.stated}", ""]
    lines += [f"- **Question:** {claim.question}"]
    if claim.design:
        lines += [f"- **Design:** {claim.design}"]
    lines += [f"- **Rule:** {claim.rule}"]
    if claim.alternatives:
        lines += ["- **Robustness alternatives:**"]
        lines += [f"  - {a}" for a in claim.alternatives]
    if claim.would_change:
        lines += [f"- **What would change the verdict:** {claim.would_change}"]
    if claim.caveats:
        lines += ["- **Caveats:**"]
        lines += [f"  - {c}" for c in claim.caveats]
    lines += [f"- **Checker:** `{claim.checker}`", ""]
    return "\n".join(lines)


def methods_markdown() -> str:
    """The whole note (docs/methods.md)."""
    return PREAMBLE + "\n" + "\n".join(claim_markdown(c) for c in load_catalog())


if __name__ == "__main__":  # pragma: no cover - the regeneration command
    print(methods_markdown(), end="")
