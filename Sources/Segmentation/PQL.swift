import Foundation

/// Profile Query Language: parsing, the reference evaluator, and translation to SQLite.
public enum PQL {
    /// Parses PQL text; errors carry the line and column of the offending token.
    public static func parse(_ text: String) throws(PQLError) -> PQLExpression {
        do {
            var parser = try PQLParser(text)
            return try parser.parseDocument()
        } catch {
            // Event queries use forms the parser doesn't know at all (`sum X.a over X from xEvent`);
            // naming what is unsupported beats pointing at a token in the middle.
            if let position = eventPosition(in: text) {
                throw PQLError(PQLParser.eventsUnsupported, at: position, in: text)
            }
            throw error
        }
    }

    /// Where the first word of an ExperienceEvent query is, if the text has one.
    static func eventPosition(in text: String) -> PQLPosition? {
        var lexer = PQLLexer(text)
        while let token = try? lexer.next(), token.kind != .end {
            if case .identifier(let name) = token.kind,
                ["timeseriesevents", "timeseries"].contains(name.lowercased())
            {
                return token.position
            }
        }
        return nil
    }

    /// Reference evaluator. `now` pins time for tests. Missing fields compare false except under isNull/notIn.
    public static func evaluate(_ expression: PQLExpression, on profile: JSONValue, now: Date) -> Bool {
        PQLEvaluator(profile: profile, now: now).isTrue(expression)
    }

    /// As `evaluate`, with `isMember(reference)` answering `inSegment(reference)` for this profile
    /// (the reference as written: a segment id or name).
    public static func evaluate(
        _ expression: PQLExpression, on profile: JSONValue, now: Date, isMember: @escaping (String) -> Bool
    ) -> Bool {
        PQLEvaluator(profile: profile, now: now, isMember: isMember).isTrue(expression)
    }

    /// Field paths referenced by the expression, dotted ("person.name.lastName"); a list read
    /// across arrays (`person.orders.storeId.count()`) also names its top-level field ("person"),
    /// so a caller that extracts these paths for the Swift evaluator hands it the whole list.
    ///
    /// An item expression (`orders.sum(order.price)`, `orders[price > 10]`) reads each item
    /// first and the profile only when the item lacks the field. Without `itemPaths` those
    /// reads are left out, so a check of the paths against the profiles' schema doesn't
    /// name `order.price` as a profile field that none has.
    public static func fieldPaths(_ expression: PQLExpression, itemPaths: Bool = true) -> Set<String> {
        var paths: Set<String> = []
        collectFieldPaths(expression, itemPaths: itemPaths, into: &paths)
        return paths
    }

    /// Type check against known field kinds: the definition must be a condition (`42` is refused,
    /// naming its type); a string literal compared with a numeric field (or vice versa) throws a PQLError pointing at the literal.
    public static func typeCheck(_ expression: PQLExpression, text: String, fieldKinds: [String: JSONValueKind])
        throws(PQLError)
    {
        let checker = PQLTypeChecker(text: text, fieldKinds: fieldKinds)
        try checker.checkDefinition(expression)
        try checker.check(expression)
    }

    /// A SQLite WHERE clause over a JSON text column that selects exactly the profiles `evaluate` accepts,
    /// or nil when some part can't be pushed into SQL and the caller must fall back to `evaluate`.
    ///
    /// `jsonColumn` is pasted into the SQL as written; qualify it (`profiles.document`) when the query joins.
    /// `now` is accepted for symmetry with `evaluate`; date forms are not pushed down today.
    /// - Parameter typedColumns: paths kept in typed columns `tN`/`vN` beside the
    ///   document (see the workspace's profile columns), read instead of the JSON.
    public static func sqliteWhere(
        _ expression: PQLExpression, jsonColumn: String, typedColumns: [[String]: Int] = [:], now: Date
    ) -> SQLFragment? {
        sqlWhere(expression, dialect: .sqlite, documentColumn: jsonColumn, typedColumns: typedColumns, now: now)
    }

    /// A WHERE clause in `dialect` that selects exactly the profiles `evaluate` accepts, or nil when
    /// some part can't be pushed into SQL and the caller must fall back to `evaluate`.
    ///
    /// The layout it reads (document column, `tN`/`vN` typed columns) is described on `SQLDialect`.
    /// Placeholders are `?`; PostgreSQL callers number them with `SQLFragment.numberedPlaceholders(from:)`.
    /// The condition is never NULL: 0/1 in SQLite, a boolean in PostgreSQL.
    /// - Parameter typedKinds: SQLite: per typed path, every `json_type` name stored in its `tN`
    ///   (the workspace's catalog); a path of one class is then compared without a type test.
    /// - Parameter nativeValues: PostgreSQL: the typed columns have `sN`/`nN` beside `vN` (see `SQLDialect`).
    /// - Parameter objectColumns: PostgreSQL: paths with an object mark `oN` (see `PQL.markValue`).
    public static func sqlWhere(
        _ expression: PQLExpression, dialect: SQLDialect, documentColumn: String, typedColumns: [[String]: Int] = [:],
        typedKinds: [[String]: Set<String>] = [:], now: Date, membership: SegmentMembershipSQL? = nil,
        events: PQLEventStore? = nil, lazyDocument: String? = nil, nativeValues: Bool = false,
        objectColumns: [[String]: Int] = [:]
    ) -> SQLFragment? {
        var compiler = PQLSQLCompiler(
            column: documentColumn, typedColumns: typedColumns, typedKinds: typedKinds, dialect: dialect, now: now,
            membership: membership, events: events)
        compiler.lazyDocument = lazyDocument
        compiler.nativeValues = nativeValues
        compiler.objectColumns = objectColumns
        guard let fragment = compiler.condition(expression), fragment.sql.utf8.count <= maximumSQLLength,
            parserDepth(fragment.sql) <= maximumParserDepth
        else {
            return nil
        }
        return fragment
    }

    /// SQLite's parser has a fixed stack (100 entries): about 100 nested parentheses,
    /// 25 nested function calls or 18 nested CASEs refuse with "parser stack overflow".
    /// Deeper conditions are left to the Swift evaluator rather than fail at evaluation.
    static let maximumParserDepth = 60

    /// A conservative estimate of the parser stack the SQL needs: a parenthesis counts 1,
    /// a function call's 3, a CASE 6, along the deepest nesting.
    static func parserDepth(_ sql: String) -> Int {
        var stack: [Int] = []
        var depth = 0
        var deepest = 0
        var inString = false
        var word = ""
        var previousWord = ""
        func push(_ weight: Int) {
            stack.append(weight)
            depth += weight
            deepest = max(deepest, depth)
        }
        func pop() {
            if let weight = stack.popLast() { depth -= weight }
        }
        for character in sql.unicodeScalars {
            if inString {
                if character == "'" { inString = false }
                continue
            }
            let isWordCharacter = CharacterSet.alphanumerics.contains(character) || character == "_"
            if isWordCharacter {
                word.unicodeScalars.append(character)
                continue
            }
            if !word.isEmpty {
                let upper = word.uppercased()
                if upper == "CASE" { push(6) }
                if upper == "END" { pop() }
                previousWord = upper
                word = ""
            } else if character != " " {
                previousWord = ""
            }
            switch character {
            case "'": inString = true
            case "(":
                let isCall =
                    !previousWord.isEmpty
                    && !["AND", "OR", "NOT", "IN", "WHEN", "THEN", "ELSE", "EXISTS"].contains(previousWord)
                push(isCall ? 3 : 1)
            case ")": pop()
            default: break
            }
            if character != " " { previousWord = character == "(" ? "" : previousWord }
        }
        return deepest
    }

    /// Longer SQL is left to the Swift evaluator: SQLite refuses statements past 1 MB
    /// ("string or blob too big"), and parsing that much per evaluation buys nothing.
    public static let maximumSQLLength = 256 * 1024

    /// The store's SQL for "this row's profile is a current member of segment `reference`",
    /// used for `inSegment(reference)`.
    ///
    /// Contract:
    /// - `reference` is the text inside `inSegment("...")` exactly as written: a segment id or name;
    ///   the store resolves it (an unknown reference should have been refused at creation).
    /// - The fragment is a condition in the dialect being compiled, over the same row of the
    ///   profile table as the rest of the WHERE clause (it may read that row's key, e.g. `pid`,
    ///   or correlate with `EXISTS (SELECT 1 FROM membership m WHERE m.pid = profile.pid AND ...)`),
    ///   with `?` placeholders and their arguments in order. It must never be NULL:
    ///   1/0 in SQLite, TRUE/FALSE in PostgreSQL (wrap in COALESCE when needed).
    /// - "Current member" is what the store's latest completed evaluation of that segment says,
    ///   so the store evaluates segments in `PQL.evaluationOrder` and a referenced segment is
    ///   evaluated before the segments that use it within the same pass.
    /// - Returning nil means the store can't say in SQL; the segment then has no SQL form and
    ///   must be evaluated with `PQL.evaluate(_:on:now:isMember:)`.
    /// Called while compiling, once per `inSegment` occurrence; no database access may be needed.
    public typealias SegmentMembershipSQL = @Sendable (_ reference: String) -> SQLFragment?

    /// `bound` holds the names `exists`, `forall`, `select` and `let` give to items, which are not fields.
    private static func collectFieldPaths(
        _ expression: PQLExpression, bound: Set<String> = [], itemPaths: Bool, into paths: inout Set<String>
    ) {
        func collect(_ inner: PQLExpression, _ names: Set<String> = bound) {
            collectFieldPaths(inner, bound: names, itemPaths: itemPaths, into: &paths)
        }
        /// A list read across arrays of objects needs its whole top-level value, not only the leaf path.
        func collectList(_ inner: PQLExpression, _ names: Set<String>) {
            if case .field(let path, _) = inner, let first = path.first, !names.contains(first), first != eventsField {
                paths.insert(first)
            }
            collect(inner, names)
        }
        switch expression {
        case .field(let path, _):
            // `^.a` reads the profile's (or an outer item's) `a`; `xEvent` is no profile field.
            let path = Array(path.drop { $0 == PQL.upKey })
            if let first = path.first, !bound.contains(first), first != eventsField {
                paths.insert(path.joined(separator: "."))
            }
        case .call(let receiver, _, let arguments) where isEventList(receiver):
            // Inside an event filter, names are the event's; only `^` reaches the profile.
            collect(receiver)
            for argument in arguments {
                visit(argument) { node in
                    if case .field(let path, _) = node, path.first == upKey {
                        paths.insert(path.drop { $0 == upKey }.joined(separator: "."))
                    }
                }
            }
        case .literal, .date, .now, .today, .inSegment:
            break
        case .arithmetic(let left, _, let right):
            collect(left)
            collect(right)
        case .quantifier(_, let bindings):
            var names = bound
            for binding in bindings {
                collectList(binding.source, names)
                names.insert(binding.name)
                if let condition = binding.condition { collect(condition, names) }
            }
        case .select(let binding):
            collectList(binding.source, bound)
            if let condition = binding.condition { collect(condition, bound.union([binding.name])) }
        case .letIn(let name, let value, let body):
            collect(value)
            collect(body, bound.union([name]))
        case .occurs(let value, let form):
            collect(value)
            switch form {
            case .on(let time), .before(let time), .after(let time), .distance(_, _, _, _, let time):
                if case .value(let inner) = time { collect(inner) }
            }
        case .list(let items):
            for item in items { collect(item) }
        case .comparison(let left, _, let right), .and(let left, let right), .or(let left, let right):
            collect(left)
            collect(right)
        case .not(let inner):
            collect(inner)
        case .isIn(let value, let items), .notIn(let value, let items):
            for item in [value] + items { collect(item) }
        case .call(let receiver, let function, let arguments):
            if function.readsList { collectList(receiver, bound) } else { collect(receiver) }
            if function.takesItemExpression && !itemPaths {
                // Item reads still reach the profile through `^`.
                for argument in arguments {
                    visit(argument) { node in
                        if case .field(let path, _) = node, path.first == upKey {
                            paths.insert(path.drop { $0 == upKey }.joined(separator: "."))
                        }
                    }
                }
            } else {
                for item in arguments { collect(item) }
            }
        case .occursBetween(let a, let b, let c), .conditional(let a, let b, let c):
            for item in [a, b, c] { collect(item) }
        }
    }
}
