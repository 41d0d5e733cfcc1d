import Testing
import Tern

/// The Jinja subset, one feature group per test. Each case is a template rendered over
/// `messages` below, and the exact text Hugging Face transformers produces for it (Python jinja2
/// with trim_blocks and lstrip_blocks on, `tojson` keeping key order and non-ASCII text).
@Suite("Jinja language subset")
struct JinjaLanguageTests {
    static let messages = [
        ChatMessage(role: "system", content: "Be brief."),
        ChatMessage(role: "user", content: "Hi"),
        ChatMessage(role: "assistant", content: "Hello"),
        ChatMessage(role: "user", content: "Bye"),
    ]

    static func render(_ template: String) throws -> String {
        try ChatTemplate(source: template).render(messages: messages, addGenerationPrompt: false)
    }

    @Test("Whitespace control: trim_blocks and lstrip_blocks on, '-' strips, '+' keeps, one trailing newline dropped", arguments: [
        ("{% if true %}\n  yes\n{% endif %}\nafter",
         "  yes\nafter"),
        ("  {% for m in messages %}\n    {{ m.role }}\n  {% endfor %}\n",
         "    system\n    user\n    assistant\n    user\n"),
        ("a  {%- if true -%}  b  {%- endif -%}  c",
         "abc"),
        ("x {{- ' y ' -}} z",
         "x y z"),
        ("line1\n{# a comment #}\nline2",
         "line1\nline2"),
        ("  {%+ if true %}kept indent{% endif %}",
         "  kept indent"),
        ("{% if true +%}\nnewline kept{% endif %}",
         "\nnewline kept"),
        ("text with trailing newline\n",
         "text with trailing newline"),
    ])
    func whitespace(template: String, expected: String) throws {
        #expect(try Self.render(template) == expected)
    }

    @Test("for loops: loop variables, unpacking, else, inline filter, break and continue", arguments: [
        ("{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
         "104TrueFalse4;213FalseFalse4;322FalseFalse4;431FalseTrue4;"),
        ("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }},{% endfor %}",
         "a=1,b=2,"),
        ("{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}{{ v }}{% endfor %}",
         "a1b2"),
        ("{% for x in [] %}never{% else %}empty{% endfor %}",
         "empty"),
        ("{% for m in messages if m.role == 'user' %}{{ m.content }}{{ loop.length }}{% endfor %}",
         "Hi2Bye2"),
        ("{% for i in range(10) %}{% if i is odd %}{% continue %}{% endif %}{% if i > 6 %}{% break %}{% endif %}{{ i }}{% endfor %}",
         "0246"),
        ("{% for c in 'abc' %}{{ c }}-{% endfor %}",
         "a-b-c-"),
        ("{% for i in range(2) %}{% for j in range(2) %}{{ i }}{{ j }}{{ loop.index }} {% endfor %}{% endfor %}",
         "001 012 101 112 "),
    ])
    func loops(template: String, expected: String) throws {
        #expect(try Self.render(template) == expected)
    }

    @Test("Scoping: loop bodies are scopes, namespace() carries state out, set, block set, macros", arguments: [
        ("{% set x = 1 %}{% for i in range(2) %}{% set x = 5 %}{{ x }}{% endfor %}{{ x }}",
         "551"),
        ("{% set ns = namespace(n=0, seen=false) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% if m.role == 'system' %}{% set ns.seen = true %}{% endif %}{% endfor %}{{ ns.n }} {{ ns.seen }}",
         "4 True"),
        ("{% set messages = messages[1:] %}{{ messages | length }} {{ messages[0].role }}",
         "3 user"),
        ("{% set a, b = 'x', 'y' %}{{ b }}{{ a }}",
         "yx"),
        ("{% set block %}captured {{ 40 + 2 }}{% endset %}[{{ block }}]",
         "[captured 42]"),
        ("{% macro tag(name, body='none') %}<{{ name }}>{{ body }}</{{ name }}>{% endmacro %}{{ tag('b') }}{{ tag('i', 'x') }}{{ tag(body='y', name='u') }}",
         "<b>none</b><i>x</i><u>y</u>"),
        ("{% if true %}{% set inner = 'visible' %}{% endif %}{{ inner }}",
         "visible"),
    ])
    func scoping(template: String, expected: String) throws {
        #expect(try Self.render(template) == expected)
    }

    @Test("Expressions: arithmetic, concatenation, access and slices, comparisons, logic, tests, printing", arguments: [
        ("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 8 }} {{ 1.5 + 1 }}",
         "7 9 3 -4 2 3.5 256 2.5"),
        ("{{ 'a' + 'b' }} {{ 'a' ~ 1 ~ none }} {{ 'ab' * 2 }} {{ [1] + [2] }}",
         "ab a1None abab [1, 2]"),
        ("{{ messages[0]['role'] }} {{ messages[1].content }} {{ messages[-1].content }} {{ messages[1:3] | length }} {{ (messages | reverse | first).content }}",
         "system Hi Bye 2 Bye"),
        ("{{ 'hello'[1:4] }} {{ 'hello'[::-1] }} {{ 'hello'[-3:] }} {{ [1, 2, 3, 4, 5][::2] }} {{ [1, 2, 3][5] is defined }}",
         "ell olleh llo [1, 3, 5] False"),
        ("{{ 1 < 2 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 1 < 2 < 3 }} {{ 'x' in 'xyz' }} {{ 3 not in [1, 2] }} {{ 'role' in messages[0] }}",
         "True True True True True True True"),
        ("{{ true and 'yes' }} {{ false or 'fallback' }} {{ not messages }} {{ 'big' if messages | length > 2 else 'small' }} [{{ 'never' if false }}]",
         "yes fallback False big []"),
        ("{{ undefined_thing is defined }} {{ messages is defined }} {{ none is none }} {{ 'a' is string }} {{ {} is mapping }} {{ 3 is divisibleby 3 }} {{ 1 is not string }} {{ [] is iterable }} {{ 2 is even }}",
         "False True True True True True True True True"),
        ("{{ [1, 'two', none, true, 1.5] }} {{ {'k': 'v'} }} {{ none }} {{ true }} {{ 0.1 + 0.2 }} {{ 10 / 4 }}",
         "[1, 'two', None, True, 1.5] {'k': 'v'} None True 0.30000000000000004 2.5"),
        ("{{ 'it\\'s' }} {{ \"tab\\there\" }} {{ '\\u00e9' }} {{ 'a' 'b' }}",
         "it's tab\there é ab"),
    ])
    func expressions(template: String, expected: String) throws {
        #expect(try Self.render(template) == expected)
    }

    @Test("Filters", arguments: [
        ("{{ '  padded \\n' | trim }}|{{ 'MiXed' | lower }}|{{ 'MiXed' | upper }}|{{ 'hello world' | title }}|{{ 'hELLO' | capitalize }}",
         "padded|mixed|MIXED|Hello World|Hello"),
        ("{{ messages | length }} {{ 'abc' | length }} {{ [3, 1, 2] | sort | join(',') }} {{ [1, 2, 2] | unique | list }} {{ 'ab' | list }}",
         "4 3 1,2,3 [1, 2] ['a', 'b']"),
        ("{{ missing | default('fallback') }} {{ '' | default('empty', true) }} {{ none | default('kept') }} {{ '42' | int + 1 }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 7 | string ~ '!' }}",
         "fallback empty None 43 3 2.5 7!"),
        ("{{ 'a-b-c' | replace('-', '+') }} {{ [1, 2] | first }}{{ [1, 2] | last }} {{ -3 | abs }} {{ 2.567 | round(1) }}",
         "a+b+c 12 3 2.6"),
        ("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(' & ') }} {{ messages | rejectattr('role', 'equalto', 'user') | list | length }}",
         "Hi & Bye 2"),
        ("{{ [0, 1, '', 'x', none] | select | list }} {{ ['a', 'b'] | map('upper') | join }} {% for k, v in {'b': 2, 'a': 1} | dictsort %}{{ k }}{{ v }}{% endfor %}",
         "[1, 'x'] AB a1b2"),
        ("{{ {'name': 'f', 'args': [1, 2.5, none, true], 'text': 'café \"q\"\\n'} | tojson }}",
         "{\"name\": \"f\", \"args\": [1, 2.5, null, true], \"text\": \"café \\\"q\\\"\\n\"}"),
        ("{{ {'a': [1, {'b': 'c'}], 'e': {}} | tojson(indent=2) }}",
         "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"c\"\n    }\n  ],\n  \"e\": {}\n}"),
        ("{{ 'x\\ny' | indent(4) }}|{{ 'x\\ny' | indent(2, true) }}",
         "x\n    y|  x\n  y"),
    ])
    func filters(template: String, expected: String) throws {
        #expect(try Self.render(template) == expected)
    }

    @Test("Python string and dict methods", arguments: [
        ("{{ '  strip me  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '  left'.lstrip() }}|{{ 'right  '.rstrip() }}|",
         "strip me|hi|left|right|"),
        ("{{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'k=v=w'.split('=', 1) }}",
         "['a', 'b', 'c'] ['a', 'b', '', 'c'] ['k', 'v=w']"),
        ("{{ 'hello'.startswith('he') }} {{ 'hello'.endswith(('x', 'lo')) }} {{ 'Hi'.upper() }}{{ 'Hi'.lower() }} {{ 'a-b'.replace('-', '') }} {{ 'the end'.title() }}",
         "True True HIhi ab The End"),
        ("{{ {'a': 1}.get('a') }} {{ {'a': 1}.get('z') }} {{ {'a': 1}.get('z', 'd') }} {{ {'a': 1, 'b': 2}.keys() | list }} {{ {'a': 1, 'b': 2}.values() | list }}",
         "1 None d ['a', 'b'] [1, 2]"),
        ("{{ '{} and {}'.format('this', 'that') }} {{ ', '.join(['x', 'y']) }} {{ 'banana'.count('a') }} {{ 'banana'.find('n') }}",
         "this and that x, y 3 2"),
    ])
    func methods(template: String, expected: String) throws {
        #expect(try Self.render(template) == expected)
    }

}
