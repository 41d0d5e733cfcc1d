#!/usr/bin/env python3
"""Load test for an OpenAI-compatible server (Tern's `tern serve`, or llama.cpp's llama-server).

Runs the same client workload against whatever listens at --url, so two servers can be
compared side by side on the same machine:

  concurrency: N clients at once, each sends one streaming /v1/completions request with a
               distinct prompt of about --prompt-tokens tokens and asks for --max-tokens
               tokens (ignoring end-of-text so every request generates all of them).
               Reports aggregate generated tok/s, median and p90 time to first token,
               median time per output token.
  prefix:      a long shared "system prompt" (about --prefix-tokens tokens), then two
               requests that share it: reports both times to first token and their ratio
               (prefix caching should make the second far faster).

Python standard library only. Prompts are built from a word list with a fixed seed, so runs
repeat; token counts are approximate (the server's tokenizer decides) and are read back from
the `usage` the server reports.
"""
import argparse
import http.client
import json
import math
import random
import statistics
import threading
import time
import urllib.parse

WORDS = ("time year people way day man thing woman life child world school state family student "
         "group country problem hand part place case week company system program question work "
         "government number night point home water room mother area money story fact month lot "
         "right study book eye job word business issue side kind head house service friend father "
         "power hour game line end member law car city community name president team minute idea "
         "kid body information back parent face others level office door health person art war "
         "history party result change morning reason research girl guy moment air teacher force").split()


def make_prompt(rng, tokens):
    # These common words are one token each (with their leading space) in SmolLM2's
    # tokenizer: measured 1.0-1.02 tokens per word. The server's `usage` gives the real count.
    return " ".join(rng.choice(WORDS) for _ in range(int(tokens)))


def stream_completion(url, model, prompt, max_tokens, api_key=None):
    """Sends one streaming completion; returns (ttft seconds, total seconds, usage dict, chunks,
    arrival times of the chunks with text, in seconds since `start`) with absolute start time."""
    parts = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=600)
    body = {
        "model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": True,
        "stream_options": {"include_usage": True}, "ignore_eos": True,
    }
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = "Bearer " + api_key
    start = time.perf_counter()
    conn.request("POST", "/v1/completions", json.dumps(body), headers)
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {response.read()[:300]!r}")
    ttft, usage, chunks, arrivals = None, None, 0, []
    buffer = b""
    while True:
        data = response.read1(65536) if hasattr(response, "read1") else response.read(1)
        if not data:
            break
        buffer += data
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if not line.startswith(b"data: "):
                    continue
                payload = line[6:]
                if payload == b"[DONE]":
                    continue
                message = json.loads(payload)
                if message.get("usage"):
                    usage = message["usage"]
                for choice in message.get("choices", []):
                    if choice.get("text"):
                        chunks += 1
                        arrivals.append(time.perf_counter())
                        if ttft is None:
                            ttft = time.perf_counter() - start
    total = time.perf_counter() - start
    conn.close()
    return ttft, total, usage, chunks, arrivals


def model_name(url, api_key=None):
    parts = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
    headers = {"Authorization": "Bearer " + api_key} if api_key else {}
    conn.request("GET", "/v1/models", headers=headers)
    data = json.loads(conn.getresponse().read())
    return data["data"][0]["id"]


def concurrency_test(args, model):
    rng = random.Random(args.seed)
    prompts = [f"Request {i}. " + make_prompt(rng, args.prompt_tokens) for i in range(args.clients)]
    results = [None] * args.clients
    errors = []

    def client(i):
        try:
            results[i] = stream_completion(args.url, model, prompts[i], args.max_tokens, args.api_key)
        except Exception as e:  # report, don't hide
            errors.append(f"client {i}: {e}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise SystemExit("\n".join(errors))
    generated = sum((r[2] or {}).get("completion_tokens", r[3]) for r in results)
    prompt_tokens = sum((r[2] or {}).get("prompt_tokens", 0) for r in results)
    ttfts = sorted(r[0] for r in results if r[0] is not None)
    tpots = [(r[1] - r[0]) / max(1, ((r[2] or {}).get("completion_tokens", r[3]) - 1)) for r in results if r[0]]
    # Steady state: from the moment every client has its first token until the first one
    # finishes, all of them decode together; text chunks arriving in that window / its length.
    window_start = max(r[4][0] for r in results if r[4])
    window_end = min(r[4][-1] for r in results if r[4])
    in_window = sum(1 for r in results for t in r[4] if window_start < t <= window_end)
    steady = in_window / (window_end - window_start) if window_end > window_start else None
    return {
        "clients": args.clients, "prompt_tokens_total": prompt_tokens, "generated_tokens_total": generated,
        "wall_seconds": round(wall, 3), "aggregate_generated_tok_per_s": round(generated / wall, 2),
        "ttft_median_s": round(statistics.median(ttfts), 3),
        "ttft_p90_s": round(ttfts[max(0, math.ceil(0.9 * len(ttfts)) - 1)], 3),  # nearest rank
        "tpot_median_ms": round(1000 * statistics.median(tpots), 2),
        "all_decoding_tok_per_s": round(steady, 2) if steady else None,
        "all_decoding_window_s": round(window_end - window_start, 3),
    }


def single_test(args, model):
    """One client alone with a prompt like the concurrency test's: single-stream decode speed."""
    rng = random.Random(args.seed + 2)
    r = stream_completion(args.url, model, "Request alone. " + make_prompt(rng, args.prompt_tokens),
                          args.max_tokens, args.api_key)
    arrivals = r[4]
    decode = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else None
    return {"prompt_tokens": (r[2] or {}).get("prompt_tokens"), "ttft_s": round(r[0], 3),
            "decode_tok_per_s": round(decode, 2) if decode else None}


def prefix_test(args, model):
    rng = random.Random(args.seed + 1)
    system = "System instructions. " + make_prompt(rng, args.prefix_tokens)
    first = stream_completion(args.url, model, system + "\nQuestion one: what is a word?", 8, args.api_key)
    second = stream_completion(args.url, model, system + "\nQuestion two: name a color.", 8, args.api_key)
    return {
        "prefix_prompt_tokens": (first[2] or {}).get("prompt_tokens"),
        "first_ttft_s": round(first[0], 3), "second_ttft_s": round(second[0], 3),
        "second_over_first": round(second[0] / first[0], 3),
        "second_cached_tokens": ((second[2] or {}).get("prompt_tokens_details") or {}).get("cached_tokens"),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--api-key")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--prompt-tokens", type=int, default=256)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--prefix-tokens", type=int, default=1024)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--test", choices=["single", "concurrency", "prefix", "both", "all"], default="all",
                   help="both = concurrency + prefix; all = single + concurrency + prefix")
    args = p.parse_args()
    model = model_name(args.url, args.api_key)
    report = {"url": args.url, "model": model}
    if args.test in ("single", "all"):
        report["single"] = single_test(args, model)
    if args.test in ("concurrency", "both", "all"):
        report["concurrency"] = concurrency_test(args, model)
        if "single" in report and report["single"]["decode_tok_per_s"]:
            c = report["concurrency"]
            report["aggregate_over_single"] = round(c["aggregate_generated_tok_per_s"] / report["single"]["decode_tok_per_s"], 2)
    if args.test in ("prefix", "both", "all"):
        try:
            report["prefix"] = prefix_test(args, model)
        except RuntimeError as e:  # e.g. a per-slot context too small for the shared prefix
            report["prefix"] = {"error": str(e)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
