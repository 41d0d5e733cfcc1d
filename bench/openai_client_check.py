#!/usr/bin/env python3
"""Checks a running Tern server with the official `openai` Python client, unchanged.

Usage: python3 bench/openai_client_check.py --base-url http://127.0.0.1:8080/v1 [--api-key KEY]

Works against any engine behind the server (the test fake or the real model): every check
compares the server with itself (streamed text equals whole text, a seed repeats, a stop
string cuts the text where it first appears) instead of expecting fixed words.
Exits 0 when every check passes; prints each failure and exits 1 otherwise.
"""

import argparse
import sys

import openai

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", default="none")
    args = parser.parse_args()
    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0, timeout=120)

    models = client.models.list().data
    check(len(models) == 1, "models.list returns the served model")
    model = models[0].id
    messages = [{"role": "user", "content": "Write one sentence about the sea."}]

    # Chat, whole and streamed, greedy: the same text both ways.
    chat = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0)
    text = chat.choices[0].message.content
    check(chat.object == "chat.completion" and chat.id.startswith("chatcmpl-"), "chat: object and id")
    check(chat.choices[0].message.role == "assistant" and isinstance(text, str) and text, "chat: assistant text")
    check(chat.choices[0].finish_reason in ("stop", "length"), "chat: finish_reason")
    usage = chat.usage
    check(0 < usage.completion_tokens <= 24, "chat: completion_tokens within max_tokens")
    check(usage.total_tokens == usage.prompt_tokens + usage.completion_tokens, "chat: usage adds up")

    stream = client.chat.completions.create(
        model=model, messages=messages, max_tokens=24, temperature=0, stream=True,
        stream_options={"include_usage": True})
    pieces, reasons, stream_usage, objects = [], [], None, set()
    for chunk in stream:
        objects.add(chunk.object)
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            if choice.finish_reason:
                reasons.append(choice.finish_reason)
        if chunk.usage:
            stream_usage = chunk.usage
    check(objects == {"chat.completion.chunk"}, "chat stream: every chunk is a chat.completion.chunk")
    check("".join(pieces) == text, "chat stream: same text as the whole reply")
    check(reasons == [chat.choices[0].finish_reason], "chat stream: one finish_reason, the same")
    check(stream_usage is not None and stream_usage.completion_tokens == usage.completion_tokens,
          "chat stream: include_usage reports the same usage")

    # A stop string cuts the text just before its first occurrence.
    words = text.split()
    if len(words) >= 3:
        stop = words[1]
        stopped = client.chat.completions.create(
            model=model, messages=messages, max_tokens=24, temperature=0, stop=[stop])
        expected = text[: text.index(stop)]
        check(stopped.choices[0].message.content == expected, f"chat: stop {stop!r} cuts the text")
        check(stopped.choices[0].finish_reason == "stop", "chat: finish_reason stop for a stop string")
    else:
        check(False, f"chat: reply too short to test stop strings: {text!r}")

    # Seeds: the same seed repeats; n choices are indexed.
    seeded = [client.chat.completions.create(
        model=model, messages=messages, max_tokens=16, temperature=0.9, seed=1234).choices[0].message.content
        for _ in range(2)]
    check(seeded[0] == seeded[1], "chat: the same seed gives the same text")
    several = client.chat.completions.create(model=model, messages=messages, max_tokens=8, n=3, seed=5)
    check([c.index for c in several.choices] == [0, 1, 2], "chat: n=3 gives choices 0, 1, 2")

    # Log-probabilities.
    with_logprobs = client.chat.completions.create(
        model=model, messages=messages, max_tokens=4, temperature=0, logprobs=True, top_logprobs=3)
    content = with_logprobs.choices[0].logprobs.content
    check(len(content) >= 1 and all(len(e.top_logprobs) == 3 for e in content), "chat: logprobs with 3 alternatives")
    check(all(e.logprob <= 0 for e in content), "chat: logprobs are log-probabilities")

    # Text completions, whole and streamed.
    prompt = "The capital of France is"
    completion = client.completions.create(model=model, prompt=prompt, max_tokens=12, temperature=0)
    check(completion.object == "text_completion" and completion.id.startswith("cmpl-"), "completions: object and id")
    ctext = completion.choices[0].text
    check(isinstance(ctext, str) and completion.usage.completion_tokens <= 12, "completions: text within max_tokens")
    streamed = "".join(
        c.choices[0].text for c in client.completions.create(
            model=model, prompt=prompt, max_tokens=12, temperature=0, stream=True) if c.choices)
    check(streamed == ctext, "completions stream: same text as the whole completion")
    tokens_prompt = client.completions.create(model=model, prompt=[1, 2, 3], max_tokens=2)
    check(tokens_prompt.usage.prompt_tokens == 3, "completions: a prompt of token ids")
    lp = client.completions.create(model=model, prompt=prompt, max_tokens=3, temperature=0, logprobs=2).choices[0].logprobs
    check(len(lp.tokens) == len(lp.token_logprobs) == len(lp.text_offset) == len(lp.top_logprobs),
          "completions: logprobs arrays line up")

    # Errors arrive as the client's own exception classes.
    try:
        client.chat.completions.create(model="no-such-model", messages=messages)
        check(False, "unknown model raises BadRequestError")
    except openai.BadRequestError as error:
        check(error.status_code == 400 and error.code == "model_not_found", "unknown model raises BadRequestError")
    try:
        client.chat.completions.create(model=model, messages=[])
        check(False, "empty messages raise BadRequestError")
    except openai.BadRequestError:
        check(True, "empty messages raise BadRequestError")
    try:
        client.chat.completions.create(model=model, messages=messages, max_tokens=-1)
        check(False, "negative max_tokens raises BadRequestError")
    except openai.BadRequestError as error:
        check(error.param == "max_tokens", "negative max_tokens raises BadRequestError naming the field")

    print(f"{len(failures)} failure(s)" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
