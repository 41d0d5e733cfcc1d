import Foundation
import Testing
@testable import Tern

/// Templates Tern cannot or should not render fail with a `ChatTemplateError` that says where and
/// what, and never crash the process, whatever the template text.
@Suite("Chat template errors")
struct ChatTemplateErrorTests {
    static let conversation = [ChatMessage(role: "user", content: "Hi")]

    @Test("unsupported Jinja is named with its line when parsing", arguments: [
        ("{% include 'header.jinja' %}", "'{% include %}' statement", 1),
        ("line one\n{{ messages | from_json }}", "'from_json' filter", 2),
        ("\n\n{% if messages is prime %}{% endif %}", "'prime' test", 3),
        ("{% for m in messages recursive %}{% endfor %}", "recursive for loop", 1),
        ("{% raw %}{{ x }}{% endraw %}", "'{% raw %}' statement", 1),
    ])
    func unsupportedWhenParsing(source: String, construct: String, line: Int) {
        do {
            _ = try ChatTemplate(source: source)
            Issue.record("expected an unsupported-construct error for \(source)")
        } catch {
            guard case let .unsupported(named, errorLine) = error else {
                Issue.record("expected .unsupported, got \(error)")
                return
            }
            #expect(named.contains(construct))
            #expect(errorLine == line)
            #expect(error.description.contains("--chat-template chatml"))
            #expect(error.description.contains("line \(line)"))
        }
    }

    @Test("unsupported calls are named with their line when rendering", arguments: [
        ("{{ messages.append(1) }}", "'.append()' method", 1),
        ("{% for m in messages %}\n{{ m.content.zfill(3) }}{% endfor %}", "'.zfill()' method", 2),
        ("{{ tool_schema_of(messages) }}", "function 'tool_schema_of()'", 1),
    ])
    func unsupportedWhenRendering(source: String, construct: String, line: Int) throws {
        let template = try ChatTemplate(source: source)
        do {
            _ = try template.render(messages: Self.conversation, addGenerationPrompt: true)
            Issue.record("expected an unsupported-construct error for \(source)")
        } catch {
            guard case let .unsupported(named, errorLine) = error else {
                Issue.record("expected .unsupported, got \(error)")
                return
            }
            #expect(named.contains(construct))
            #expect(errorLine == line)
        }
    }

    @Test("raise_exception carries the template's message")
    func raiseException() throws {
        let template = try ChatTemplate(source: """
            {%- if messages | length == 0 %}
                {{- raise_exception('Need at least one message, got ' ~ messages | length) }}
            {%- endif %}
            """)
        #expect(throws: ChatTemplateError.raised(message: "Need at least one message, got 0")) {
            try template.render(messages: [], addGenerationPrompt: true)
        }
        let error = ChatTemplateError.raised(message: "Need at least one message, got 0")
        #expect(error.description.contains("Need at least one message, got 0"))
    }

    @Test("evaluation errors say what and where", arguments: [
        ("{{ 1 // 0 }}", 1),
        ("\n{{ 'text' + 1 }}", 2),
        ("{{ nothing.here }}", 1),
        ("{{ 9223372036854775807 + 1 }}", 1),
        ("{{ range(100000000) | length }}", 1),
        ("{{ 'x' * 100000000000 }}", 1),
        ("{% macro loop_forever() %}{{ loop_forever() }}{% endmacro %}\n\n{{ loop_forever() }}", 1),
        ("{% for a, b in [[1, 2, 3]] %}{% endfor %}", 1),
        ("{% set n = 5 %}{% set n.x = 1 %}", 1),
        ("{{ messages | tojson }}{{ undefined_value | tojson }}", 1),
        ("{% set ns = namespace(me=none) %}{% set ns.me = ns %}{{ ns | tojson }}", 1),
        ("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", 1),
    ])
    func runtimeErrors(source: String, line: Int) throws {
        let template = try ChatTemplate(source: source)
        do {
            let output = try template.render(messages: Self.conversation, addGenerationPrompt: false)
            Issue.record("expected a runtime error, rendered \(output.prefix(80))")
        } catch {
            guard case let .runtime(errorLine, message) = error else {
                Issue.record("expected .runtime, got \(error)")
                return
            }
            #expect(errorLine == line)
            #expect(!message.isEmpty)
        }
    }

    @Test("a template that runs too long stops with an error instead of hanging")
    func stepBudget() throws {
        let template = try ChatTemplate(source: "{% for i in range(100) %}\n{% for j in range(100) %}{% endfor %}{% endfor %}")
        #expect(try template.render(variables: [:], maximumSteps: 20_000) == "")
        #expect(throws: ChatTemplateError.runtime(
            line: 2, message: "the template ran more than 1000 statements; it may loop without end")) {
            try template.render(variables: [:], maximumSteps: 1000)
        }
    }

    @Test("malformed templates are syntax errors with a line", arguments: [
        "{% if messages %}unclosed",
        "{{ messages ",
        "{% for %}{% endfor %}",
        "{% endif %}",
        "{{ 'unterminated }}",
        "{# never closed",
        "{{ (1 + 2 }}",
        "{% set = 1 %}",
        "{{ 1 + }}",
        "{% for m in messages %}{% endif %}",
        "{{ messages[ }}",
        "{% macro m( %}{% endmacro %}",
        "{% if %}{% endif %}",
        "{{ }}",
        "{% %}",
        "{{ 1 @ 2 }}",
        "{% break %}",
        "{% frobnicate %}",
        "{{ 99999999999999999999999 }}",
        "{{ a.b. }}",
        "{% for x in %}{% endfor %}",
        "{% set x %}never ended",
        "{{ [1, 2 }}",
        "{{ {'a' 1} }}",
        "\u{0}{{\u{0}}}",
        "{{ " + String(repeating: "(", count: 5000) + " }}",
        String(repeating: "{% if true %}", count: 1000),
        "{{ " + String(repeating: "not ", count: 5000) + "x }}",
    ])
    func malformed(source: String) {
        do {
            _ = try ChatTemplate(source: source)
            Issue.record("expected a syntax error for \(source.prefix(60))")
        } catch {
            guard case let .syntax(line, message) = error else {
                Issue.record("expected .syntax, got \(error)")
                return
            }
            #expect(line >= 1)
            #expect(!message.isEmpty)
            #expect(error.description.contains("--chat-template chatml"))
        }
    }

    /// Cuts every fixture template off at many points: each prefix either parses and renders or
    /// fails with a `ChatTemplateError`; none may crash.
    @Test("truncated real templates never crash", arguments: [
        "SmolLM2-135M-Instruct", "meta-llama-Llama-3.1-8B-Instruct", "Qwen-Qwen2.5-7B-Instruct",
        "mistralai-Mistral-Nemo-Instruct-2407", "microsoft-Phi-3.5-mini-instruct",
    ])
    func truncatedTemplates(fixture: String) throws {
        let source = Array(try ChatTemplateFixtureTests.fixture(fixture))
        var parsed = 0
        var rejected = 0
        for length in stride(from: 0, through: source.count, by: 41) {
            do {
                let template = try ChatTemplate(source: String(source[..<length]))
                parsed += 1
                _ = try? template.render(messages: Self.conversation, addGenerationPrompt: true)
            } catch {
                rejected += 1
            }
        }
        #expect(parsed > 0)
        #expect(rejected > 0)
    }
}
