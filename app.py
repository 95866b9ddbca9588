#!/usr/bin/env python3
"""The reference EKS cluster as a CDK app, checked by podcap during `cdk synth`.

    npx cdk synth --no-notices                                  # examples/reference.yaml
    npx cdk synth --no-notices -c spec=examples/undersized.yaml  # fails: the subnets run out of addresses
    npx cdk synth --no-notices -c podcap:live=true              # also read referenced subnets from AWS
    npx cdk synth --no-notices -c podcap:enabled=false          # without podcap's plugin (benchmarks)

Without CDK_OUTDIR (i.e. `python app.py` outside the CLI) the assembly goes to a temporary folder.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from podcap.cdk.from_spec import PodcapSpecStack, load_spec_document, stack_id_for
from podcap.cdk.validation import CONTEXT_ENABLED, PodcapValidationPlugin, context_flag

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SPEC = os.path.join(HERE, "examples", "reference.yaml")


def build_app(spec_path: str | None = None, **app_kwargs) -> cdk.App:
    """The app for a spec file (default: examples/reference.yaml), podcap's plugin registered."""
    app = cdk.App(**app_kwargs)
    path = spec_path or app.node.try_get_context("spec") or DEFAULT_SPEC
    doc = load_spec_document(path)
    rel = os.path.relpath(path)
    PodcapSpecStack(app, stack_id_for(doc), spec=doc, source=path if rel.startswith("..") else rel,
                    description=f"podcap reference cluster from {os.path.basename(path)}")
    if context_flag(app, CONTEXT_ENABLED, default=True):
        cdk.Validations.of(app).add_plugins(PodcapValidationPlugin())
    return app


def construct_error(e: BaseException) -> str | None:
    """The message of an error the CDK framework raised through jsii (a construct id used twice, a
    validation error in a construct …), or None for anything else (a bug, which keeps its traceback)."""
    from jsii.errors import JavaScriptError, JSIIError

    if isinstance(e, JSIIError) or (isinstance(e, RuntimeError) and isinstance(e.__cause__, JavaScriptError)):
        lines = [line.strip() for line in str(e).strip().splitlines() if line.strip()]
        return lines[0] if lines else type(e).__name__
    return None


def main() -> int:
    from podcap.sources.safe_yaml import InputError

    try:
        app = build_app()
    except (InputError, ValueError) as e:  # a bad spec: one line per problem, like `podcap check`
        print(f"podcap: {e}", file=sys.stderr)
        return 2
    except Exception as e:
        message = construct_error(e)
        if message is None:
            raise
        print(f"podcap: cannot build the CDK app: {message}", file=sys.stderr)
        return 2
    try:
        app.synth()
    except Exception as e:  # jsii re-raises CDK's ValidationFailed; the report itself is already printed
        text = str(e)
        if "Validation failed" in text or "ValidationFailed" in text:
            if text.strip() and "Validation failed." not in text.splitlines()[0]:
                print(text, file=sys.stderr)
            print("podcap: synth stopped by validation errors (see the report above)", file=sys.stderr)
            return 1
        message = construct_error(e)
        if message is None:
            raise
        print(f"podcap: synth failed: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
