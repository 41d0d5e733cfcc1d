import Foundation
import Testing
import Tern

@Suite("ChatTemplate API")
struct ChatTemplateTests {
    static let conversation = [
        ChatMessage(role: "system", content: "You are a helpful assistant."),
        ChatMessage(role: "user", content: "Hello!"),
        ChatMessage(role: "assistant", content: "Hi, how can I help?"),
        ChatMessage(role: "user", content: "Tell me a joke."),
    ]

    @Test("the built-in ChatML template wraps each message and opens the assistant's turn")
    func chatml() throws {
        let withPrompt = try ChatTemplate.chatml.render(messages: Self.conversation, addGenerationPrompt: true)
        #expect(withPrompt == """
            <|im_start|>system
            You are a helpful assistant.<|im_end|>
            <|im_start|>user
            Hello!<|im_end|>
            <|im_start|>assistant
            Hi, how can I help?<|im_end|>
            <|im_start|>user
            Tell me a joke.<|im_end|>
            <|im_start|>assistant

            """)
        let withoutPrompt = try ChatTemplate.chatml.render(messages: Self.conversation, addGenerationPrompt: false)
        #expect(withoutPrompt + "<|im_start|>assistant\n" == withPrompt)
    }

    @Test("ChatML matches SmolLM2's own template when a system message is given")
    func chatmlMatchesSmolLM2() throws {
        let smolLM2 = try ChatTemplate(source: ChatTemplateFixtureTests.fixture("SmolLM2-135M-Instruct"))
        for addGenerationPrompt in [false, true] {
            #expect(
                try ChatTemplate.chatml.render(messages: Self.conversation, addGenerationPrompt: addGenerationPrompt)
                    == smolLM2.render(messages: Self.conversation, addGenerationPrompt: addGenerationPrompt))
        }
    }

    @Test("built-in templates are found by name, case-insensitively")
    func named() throws {
        let byName = try #require(ChatTemplate.named("chatml"))
        #expect(byName.source == ChatTemplate.chatml.source)
        #expect(ChatTemplate.named("ChatML") != nil)
        #expect(ChatTemplate.named("no-such-template") == nil)
        #expect(ChatTemplate.builtInNames.allSatisfy { ChatTemplate.named($0) != nil })
    }

    @Test("bos_token and eos_token reach the template; a parsed template renders many times")
    func specialTokensAndReuse() throws {
        let template = try ChatTemplate(source: "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}")
        let messages = [ChatMessage(role: "user", content: "a"), ChatMessage(role: "assistant", content: "b")]
        let first = try template.render(messages: messages, addGenerationPrompt: false, bosToken: "<s>", eosToken: "</s>")
        #expect(first == "<s>a</s>b</s>")
        #expect(try template.render(messages: messages, addGenerationPrompt: false, bosToken: "<s>", eosToken: "</s>") == first)
        #expect(try template.render(messages: messages, addGenerationPrompt: false) == "ab")
    }

    @Test("strftime_now formats the current date, as transformers provides it")
    func strftimeNow() throws {
        let template = try ChatTemplate(source: "{{ strftime_now('%Y') }}|{{ strftime_now is defined }}")
        let parts = try template.render(messages: [], addGenerationPrompt: false).split(separator: "|")
        let year = try #require(Int(parts[0]))
        #expect(year >= 2024 && year < 3000)
        #expect(parts[1] == "True")
    }

    @Test("ChatMessage round-trips through Codable")
    func chatMessageCodable() throws {
        let message = ChatMessage(role: "user", content: "Ça va? \"quoted\"")
        let data = try JSONEncoder().encode(message)
        #expect(try JSONDecoder().decode(ChatMessage.self, from: data) == message)
    }
}
