/// The chat format of a model: a conversation's messages as the prompt text the model expects.
///
/// GGUF files carry a Jinja template (`tokenizer.chat_template`). Rather than interpreting Jinja,
/// this recognizes the ChatML templates it knows by their exact text and applies what they say:
///
///     <|im_start|>system\n{default system prompt}<|im_end|>\n     (when the template adds one)
///     <|im_start|>user\n{message}<|im_end|>\n
///     <|im_start|>assistant\n                                       (the generation prompt)
public struct ChatTemplate: Sendable, Equatable {
    /// The system message the template inserts when the conversation has none, if any.
    public let defaultSystemPrompt: String?

    /// SmolLM2-Instruct's template, verbatim.
    static let smolLM2 = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
        You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
        ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
        ' + message['content'] + '<|im_end|>' + '
        '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
        ' }}{% endif %}
        """

    /// Plain ChatML without a default system message.
    static let plainChatML = """
        {% for message in messages %}{{'<|im_start|>' + message['role'] + '
        ' + message['content'] + '<|im_end|>' + '
        '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
        ' }}{% endif %}
        """

    /// The format a template string encodes.
    /// - Throws: ``DecoderModelError`` when the template is not one of the ChatML templates recognized.
    public init(template: String) throws {
        switch template.trimmingTrailingNewlines {
        case Self.smolLM2: defaultSystemPrompt = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
        case Self.plainChatML: defaultSystemPrompt = nil
        default:
            throw DecoderModelError(
                "the model's chat template is not a ChatML template this tool recognizes (it begins \"\(template.prefix(60))…\"); pass the formatted prompt without --chat"
            )
        }
    }

    /// The prompt text for one user message, ending with the assistant's turn opened.
    public func prompt(user message: String) -> String {
        prompt(messages: [ChatMessage(role: .user, content: message)])
    }

    /// The prompt text for a conversation, ending with the assistant's turn opened: each message
    /// as `<|im_start|>{role}\n{content}<|im_end|>\n`, after the default system message when the
    /// template has one and the conversation does not start with a system message.
    public func prompt(messages: [ChatMessage]) -> String {
        var text = ""
        if let defaultSystemPrompt, messages.first?.role != .system {
            text += "<|im_start|>system\n\(defaultSystemPrompt)<|im_end|>\n"
        }
        for message in messages {
            text += "<|im_start|>\(message.role.rawValue)\n\(message.content)<|im_end|>\n"
        }
        return text + "<|im_start|>assistant\n"
    }
}

/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable {
    /// Who speaks: ChatML's role names.
    public enum Role: String, Sendable {
        /// Instructions for the assistant, before the conversation.
        case system
        /// The person chatting.
        case user
        /// The model.
        case assistant
    }

    /// The speaker.
    public var role: Role
    /// The text.
    public var content: String

    /// A message of `role` saying `content`.
    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

extension String {
    fileprivate var trimmingTrailingNewlines: String {
        var s = Substring(self)
        while s.last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
