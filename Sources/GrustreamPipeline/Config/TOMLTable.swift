/// A TOML table while its document is being read: keys in file order, and how the table came to exist,
/// which decides whether a later `[header]` or dotted key may still add to it (TOML 1.0 "Table").
final class TOMLTable {
    enum Origin {
        /// Made on the way to a deeper header (`[a.b]` makes `a`); a later `[a]` may still define it.
        case implicit
        /// Defined by its own `[header]` or `[[header]]`.
        case header
        /// Made by a dotted key (`a.b = 1` makes `a`); only more dotted keys of the same section add to it.
        case dotted
    }

    enum Entry {
        case value(ConfigValue)
        case table(TOMLTable)
        case tables(TOMLTableArray)
    }

    var origin: Origin
    private(set) var keys: [String] = []
    private(set) var entries: [String: Entry] = [:]

    init(origin: Origin) { self.origin = origin }

    subscript(key: String) -> Entry? { entries[key] }

    /// Adds a key that is not there yet (callers check).
    func insert(_ key: String, _ entry: Entry) {
        if entries.updateValue(entry, forKey: key) == nil { keys.append(key) }
    }

    /// The finished table. Nesting is bounded by `TOMLParser.maximumDepth`, so the recursion is too.
    var value: ConfigValue {
        .table(
            keys.compactMap { key in
                switch entries[key] {
                case .value(let value): (key, value)
                case .table(let table): (key, table.value)
                case .tables(let array): (key, .array(array.tables.map(\.value)))
                case nil: nil
                }
            })
    }
}

/// `[[name]]`: the tables so far, appended to in place.
final class TOMLTableArray {
    var tables: [TOMLTable] = []
}
