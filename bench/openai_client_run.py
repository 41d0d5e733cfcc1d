#!/usr/bin/env python3
"""Sends requests through the official `openai` Python client, unchanged, and prints what it parsed.

Usage: python3 bench/openai_client_run.py --base-url http://127.0.0.1:8080/v1 < cases.json

Input (stdin): a JSON list of cases, each
    {"api": "chat" | "completions", "args": {keyword arguments of create(), e.g. "messages",
     "max_tokens", "temperature", "seed", "stop", "stream", "stream_options", "extra_body"}}
Output (stdout): a JSON list with one result per case, in order:
    {"object", "text", "finish_reasons", "role", "prompt_tokens", "completion_tokens", "chunks"}
(streams: "object" is the set of chunk objects joined by ",", "text" the joined deltas, "chunks"
the number of chunks with text; usage only with stream_options include_usage), or
    {"error": exception class name, "status": HTTP status} when the client raised.

Tern's live tests (Tests/TernServerTests/OpenAIEngineTests.swift) compare the results with the
engine's own output. Needs `python3 -m pip install openai` (.ci/run pins the version).
"""

import argparse
import json
import sys

import openai


def usage_fields(usage):
    if usage is None:
        return {"prompt_tokens": None, "completion_tokens": None}
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}


def run_chat(client, args):
    if not args.get("stream"):
        reply = client.chat.completions.create(**args)
        choice = reply.choices[0]
        return {"object": reply.object, "text": choice.message.content, "role": choice.message.role,
                "finish_reasons": [c.finish_reason for c in reply.choices], "chunks": 0, **usage_fields(reply.usage)}
    return collect(client.chat.completions.create(**args), lambda c: c.delta.content, lambda c: c.delta.role)


def run_completions(client, args):
    if not args.get("stream"):
        reply = client.completions.create(**args)
        return {"object": reply.object, "text": reply.choices[0].text, "role": None,
                "finish_reasons": [c.finish_reason for c in reply.choices], "chunks": 0, **usage_fields(reply.usage)}
    return collect(client.completions.create(**args), lambda c: c.text, lambda c: None)


def collect(stream, text_of, role_of):
    """Folds a stream of chunks into one result: text of the deltas joined, the first role."""
    objects, pieces, reasons, role, usage, chunks = set(), [], [], None, None, 0
    for chunk in stream:
        objects.add(chunk.object)
        for choice in chunk.choices:
            role = role or role_of(choice)
            if text_of(choice):
                pieces.append(text_of(choice))
                chunks += 1
            if choice.finish_reason:
                reasons.append(choice.finish_reason)
        usage = chunk.usage or usage
    return {"object": ",".join(sorted(objects)), "text": "".join(pieces), "role": role, "finish_reasons": reasons,
            "chunks": chunks, **usage_fields(usage)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", default="none")
    options = parser.parse_args()
    client = openai.OpenAI(base_url=options.base_url, api_key=options.api_key, max_retries=0, timeout=120)
    results = []
    for case in json.load(sys.stdin):
        run = run_chat if case["api"] == "chat" else run_completions
        try:
            results.append(run(client, case["args"]))
        except openai.APIStatusError as error:
            results.append({"error": type(error).__name__, "status": error.status_code})
        except openai.APIError as error:
            results.append({"error": type(error).__name__, "status": None})
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
