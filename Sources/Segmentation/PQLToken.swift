/// One lexical token of PQL source, with where it starts.
struct PQLToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case string(String)
        case integer(Int64)
        case double(Double)
        case symbol(String)
        case end
    }

    var kind: Kind
    var position: PQLPosition

    /// How the token reads in an error message.
    var quoted: String {
        switch kind {
        case .identifier(let name): "'\(name)'"
        case .string(let value): "string \"\(value)\""
        case .integer(let value): "'\(value)'"
        case .double(let value): "'\(value)'"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "end of input"
        }
    }

    /// The identifier's text, for messages.
    var quotedName: String {
        if case .identifier(let name) = kind { return name }
        return ""
    }

    func isSymbol(_ symbol: String) -> Bool {
        kind == .symbol(symbol)
    }

    /// Keywords are accepted in lower case or all upper case (`and`, `AND`); `notIn` keeps its camel case.
    func isKeyword(_ keyword: String) -> Bool {
        guard case .identifier(let name) = kind else { return false }
        return name == keyword || name == keyword.uppercased()
    }
}
