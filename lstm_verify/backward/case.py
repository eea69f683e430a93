"""A case's backward pass: ``backward`` (what the loss is) and ``expected.gradients``
(the author's gradients), checked like the rest of the case.

    backward:
      upstream: {sequence: [...], h: [...], c: [...]}    # dL/d(outputs); any subset
      # or a loss the tool differentiates itself, L = ½·Σ(output − target)²:
      loss: {squared_error: {target: [...], of: sequence}}   # of: sequence | h
    expected:
      gradients:    # any subset
        kernel / recurrent_kernel / bias       (or the case's own weight form's names)
        inputs: [batch, time, features]
        initial_state: {h: ..., c: ...}
        steps: [{t: 2, dh: [...], dc: [...], di: [...], dz_i: [...], ...}]

Weight gradients are named as the case names its weights (kernel, or W_i/U_i/b_i, or
Wcat_i, or a layout's weight_ih ...): forms.in_case_form says what those are.
"""

from ..case.checks import describe
from .forms import in_case_form, step_rows

UPSTREAM_MEANING = "the gradient of the loss with respect to"


def parse_backward(r, value, case, batched):
    """{"upstream": {name: array}} or {"loss": {"target": array, "of": name}}."""
    r.keys(value, "backward", ("upstream", "loss"))
    if ("upstream" in value) == ("loss" in value):
        raise r.fail("backward", "needs exactly one of upstream (the gradient of the loss "
                     "with respect to the layer's outputs) or loss (a loss the tool "
                     "differentiates itself)")
    if "upstream" in value:
        return {"upstream": _outputs(r, value["upstream"], "backward.upstream", case,
                                     batched)}
    loss = value["loss"]
    r.keys(loss, "backward.loss", ("squared_error",))
    if "squared_error" not in loss:
        raise r.fail("backward.loss", "is empty, expected squared_error: {target: ..., "
                     "of: sequence}")
    spec = loss["squared_error"]
    key = "backward.loss.squared_error"
    r.keys(spec, key, ("target", "of"))
    of = spec.get("of", "sequence")
    if of not in ("sequence", "h"):
        raise r.fail(f"{key}.of", f"is {describe(of)}, expected sequence or h (the output "
                     "the squared error is taken of)")
    if "target" not in spec:
        raise r.fail(key, "has no target; L = ½·Σ(output − target)² needs one")
    target = _outputs(r, {of: spec["target"]}, key, case, batched, rename={of: "target"})
    return {"loss": {"target": target[of], "of": of}}


def _outputs(r, value, key, case, batched, rename=None):
    """Arrays shaped like the layer's outputs: sequence [B, T, U], each state [B, U]."""
    names = ("sequence",) + case.cell.states
    if rename is None:
        r.keys(value, key, names)
    out = {}
    for name, array in value.items():
        where = f"{key}.{(rename or {}).get(name, name)}"
        if name == "sequence":
            meaning = (f"[batch, time, units] = [{case.batch}, {case.steps}, {case.units}] "
                       "in processing order, like the sequence ([time, units] for batch 1)")
            out[name] = batched(r, array, where, (case.steps, case.units), meaning, case)
        else:
            meaning = f"[batch, units] = [{case.batch}, {case.units}] ([units] for batch 1)"
            out[name] = batched(r, array, where, (case.units,), meaning, case)
    return out


def parse_expected_gradients(r, value, case, batched):
    """The author's gradients: {weight key: array, inputs, initial_state, steps}."""
    key = "expected.gradients"
    if case.backward is None:
        raise r.fail(key, "is given, but the case has no backward: block saying what the "
                     "loss is (backward: {upstream: ...} or backward: {loss: ...})")
    forms = {name: array.shape for name, array in in_case_form(
        case, case.kernel, case.recurrent_kernel, case.bias).items()}
    r.keys(value, key, tuple(forms) + ("inputs", "initial_state", "steps"))
    out = {}
    for name, shape in forms.items():
        if value.get(name) is not None:
            arr = r.array(value[name], f"{key}.{name}", (len(shape),),
                          f"dL/d{name}, shaped like weights.{name}", nulls=True)
            out[name] = r.shaped(arr, f"{key}.{name}", shape,
                                 f"dL/d{name}, shaped like weights.{name}")
    if value.get("inputs") is not None:
        meaning = (f"[batch, time, features] = [{case.batch}, {case.steps}, "
                   f"{case.input_dim}], like inputs")
        out["inputs"] = batched(r, value["inputs"], f"{key}.inputs",
                                (case.steps, case.input_dim), meaning, case)
    if value.get("initial_state") is not None:
        r.keys(value["initial_state"], f"{key}.initial_state", case.cell.states)
        meaning = f"[batch, units] = [{case.batch}, {case.units}] ([units] for batch 1)"
        out["initial_state"] = {
            s: batched(r, v, f"{key}.initial_state.{s}", (case.units,), meaning, case)
            for s, v in value["initial_state"].items() if v is not None}
    if value.get("steps") is not None:
        out["steps"] = _steps(r, value["steps"], case, batched)
    return out


def _steps(r, steps, case, batched):
    meaning = f"[batch, units] = [{case.batch}, {case.units}] ([units] for batch 1)"
    return r.step_table(
        steps, "expected.gradients.steps", step_rows(case.cell), case.steps,
        lambda value, key: batched(r, value, key, (case.units,), meaning, case),
        f"{{t: {case.steps}, dh: [...]}}")
