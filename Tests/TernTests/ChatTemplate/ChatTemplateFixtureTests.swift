import Foundation
import Testing
import Tern

/// Real models' chat templates (from llama.cpp's models/templates, MIT, and SmolLM2's GGUF),
/// rendered for two conversations with and without the generation prompt. Expected strings are
/// what Hugging Face transformers' apply_chat_template produces (checked with Python jinja2,
/// trim_blocks and lstrip_blocks on) and were read through by hand.
@Suite("Chat templates of real models")
struct ChatTemplateFixtureTests {
    enum Conversation: String, Sendable {
        case systemUser, multiTurn

        var messages: [ChatMessage] {
            switch self {
            case .systemUser:
                [ChatMessage(role: "system", content: "You are a helpful assistant."), ChatMessage(role: "user", content: "Hello!")]
            case .multiTurn:
                [
                    ChatMessage(role: "user", content: "What is 2+2?"), ChatMessage(role: "assistant", content: "4"),
                    ChatMessage(role: "user", content: "And 3+3?"),
                ]
            }
        }
    }

    struct FixtureCase: Sendable, CustomTestStringConvertible {
        var fixture: String
        var conversation: Conversation
        var addGenerationPrompt: Bool
        var bos: String
        var eos: String
        var expected: String

        init(
            _ fixture: String, _ conversation: Conversation, addGenerationPrompt: Bool, bos: String, eos: String,
            expected: String
        ) {
            (self.fixture, self.conversation, self.addGenerationPrompt) = (fixture, conversation, addGenerationPrompt)
            (self.bos, self.eos, self.expected) = (bos, eos, expected)
        }

        var testDescription: String {
            "\(fixture) \(conversation.rawValue)\(addGenerationPrompt ? " + generation prompt" : "")"
        }
    }

    static func fixture(_ name: String) throws -> String {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let url = folder.appendingPathComponent("templates").appendingPathComponent(name + ".jinja")
        return try String(contentsOf: url, encoding: .utf8)
    }

    static let cases: [FixtureCase] = [
        FixtureCase("SmolLM2-135M-Instruct", .systemUser, addGenerationPrompt: false, bos: "<|im_start|>", eos: "<|im_end|>",
                    expected: "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n"),
        FixtureCase("SmolLM2-135M-Instruct", .systemUser, addGenerationPrompt: true, bos: "<|im_start|>", eos: "<|im_end|>",
                    expected: "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"),
        FixtureCase("SmolLM2-135M-Instruct", .multiTurn, addGenerationPrompt: false, bos: "<|im_start|>", eos: "<|im_end|>",
                    expected: "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n"),
        FixtureCase("SmolLM2-135M-Instruct", .multiTurn, addGenerationPrompt: true, bos: "<|im_start|>", eos: "<|im_end|>",
                    expected: "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n"),
        FixtureCase("meta-llama-Llama-3.1-8B-Instruct", .systemUser, addGenerationPrompt: false, bos: "<|begin_of_text|>", eos: "<|eot_id|>",
                    expected: "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"),
        FixtureCase("meta-llama-Llama-3.1-8B-Instruct", .systemUser, addGenerationPrompt: true, bos: "<|begin_of_text|>", eos: "<|eot_id|>",
                    expected: "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
        FixtureCase("meta-llama-Llama-3.1-8B-Instruct", .multiTurn, addGenerationPrompt: false, bos: "<|begin_of_text|>", eos: "<|eot_id|>",
                    expected: "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>"),
        FixtureCase("meta-llama-Llama-3.1-8B-Instruct", .multiTurn, addGenerationPrompt: true, bos: "<|begin_of_text|>", eos: "<|eot_id|>",
                    expected: "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
        FixtureCase("Qwen-Qwen2.5-7B-Instruct", .systemUser, addGenerationPrompt: false, bos: "", eos: "<|im_end|>",
                    expected: "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n"),
        FixtureCase("Qwen-Qwen2.5-7B-Instruct", .systemUser, addGenerationPrompt: true, bos: "", eos: "<|im_end|>",
                    expected: "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"),
        FixtureCase("Qwen-Qwen2.5-7B-Instruct", .multiTurn, addGenerationPrompt: false, bos: "", eos: "<|im_end|>",
                    expected: "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n"),
        FixtureCase("Qwen-Qwen2.5-7B-Instruct", .multiTurn, addGenerationPrompt: true, bos: "", eos: "<|im_end|>",
                    expected: "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n"),
        FixtureCase("mistralai-Mistral-Nemo-Instruct-2407", .systemUser, addGenerationPrompt: false, bos: "<s>", eos: "</s>",
                    expected: "<s>[INST]You are a helpful assistant.\n\nHello![/INST]"),
        FixtureCase("mistralai-Mistral-Nemo-Instruct-2407", .systemUser, addGenerationPrompt: true, bos: "<s>", eos: "</s>",
                    expected: "<s>[INST]You are a helpful assistant.\n\nHello![/INST]"),
        FixtureCase("mistralai-Mistral-Nemo-Instruct-2407", .multiTurn, addGenerationPrompt: false, bos: "<s>", eos: "</s>",
                    expected: "<s>[INST]What is 2+2?[/INST]4</s>[INST]And 3+3?[/INST]"),
        FixtureCase("mistralai-Mistral-Nemo-Instruct-2407", .multiTurn, addGenerationPrompt: true, bos: "<s>", eos: "</s>",
                    expected: "<s>[INST]What is 2+2?[/INST]4</s>[INST]And 3+3?[/INST]"),
        FixtureCase("microsoft-Phi-3.5-mini-instruct", .systemUser, addGenerationPrompt: false, bos: "<s>", eos: "<|endoftext|>",
                    expected: "<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nHello!<|end|>\n<|endoftext|>"),
        FixtureCase("microsoft-Phi-3.5-mini-instruct", .systemUser, addGenerationPrompt: true, bos: "<s>", eos: "<|endoftext|>",
                    expected: "<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nHello!<|end|>\n<|assistant|>\n"),
        FixtureCase("microsoft-Phi-3.5-mini-instruct", .multiTurn, addGenerationPrompt: false, bos: "<s>", eos: "<|endoftext|>",
                    expected: "<|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\n4<|end|>\n<|user|>\nAnd 3+3?<|end|>\n<|endoftext|>"),
        FixtureCase("microsoft-Phi-3.5-mini-instruct", .multiTurn, addGenerationPrompt: true, bos: "<s>", eos: "<|endoftext|>",
                    expected: "<|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\n4<|end|>\n<|user|>\nAnd 3+3?<|end|>\n<|assistant|>\n"),

    ]

    @Test("renders exactly like transformers", arguments: cases)
    func rendersLikeTransformers(_ testCase: FixtureCase) throws {
        let template = try ChatTemplate(source: Self.fixture(testCase.fixture))
        let rendered = try template.render(
            messages: testCase.conversation.messages, addGenerationPrompt: testCase.addGenerationPrompt,
            bosToken: testCase.bos, eosToken: testCase.eos)
        #expect(rendered == testCase.expected)
    }

    @Test("the SmolLM2 fixture is the template stored in the real model")
    func smolLM2FixtureMatchesModel() throws {
        let model = try GGUFFile(path: TestModel.path())
        let stored = try #require(try ChatTemplate.stored(in: model))
        #expect(stored.source == (try Self.fixture("SmolLM2-135M-Instruct")))
    }

    @Test("Mistral's raise_exception surfaces the template's own message")
    func mistralRejectsNonAlternatingRoles() throws {
        let template = try ChatTemplate(source: Self.fixture("mistralai-Mistral-Nemo-Instruct-2407"))
        let messages = [ChatMessage(role: "user", content: "a"), ChatMessage(role: "user", content: "b")]
        #expect(throws: ChatTemplateError.raised(message:
            "After the optional system message, conversation roles must alternate user/assistant/user/assistant/...")) {
            try template.render(messages: messages, addGenerationPrompt: true)
        }
    }
}
