import Mustache

/// The console's pages. `{{x}}` escapes HTML, so nothing a user typed can
/// become markup; `{{{x}}}` is never used.
enum ConsoleTemplates {
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in all { try library.register(text, named: name) }
        return library
    }

    static let all: [(String, String)] = [
        ("header", header), ("footer", footer), ("login", login), ("overview", overview),
        ("destinations", destinations), ("segments", segments), ("activations", activations), ("runs", runs),
        ("run", run), ("message", message), ("activation", activation),
    ]

    static let header = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Ferry</title><link rel="stylesheet" href="/static/ferry.css"></head>
        <body><header><strong>Ferry</strong>
        {{#signedIn}}<nav><a href="/">Overview</a> <a href="/destinations">Destinations</a> <a href="/segments">Segments</a> <a href="/activations">Activations</a> <a href="/runs">Runs</a></nav>
        <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button>Log out {{tokenName}}</button></form>{{/signedIn}}
        </header><main><h1>{{title}}</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}{{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
        """

    static let footer = """
        </main></body></html>
        """

    static let login = """
        {{> header}}
        <form method="post" action="/login" class="card">
        <label>API token <input type="password" name="token" autocomplete="off" required></label>
        <button>Log in</button></form>
        <p>Make one with <code>ferry tokens create NAME</code>.</p>
        {{> footer}}
        """

    static let overview = """
        {{> header}}
        <h2>Runs, last 7 days</h2>
        <svg viewBox="0 0 {{chartWidth}} 140" width="100%" height="160" role="img" aria-label="Runs per day">
        {{#days}}<g><rect x="{{x}}" y="{{successY}}" width="18" height="{{successHeight}}" fill="#2e7d32"><title>{{day}}: {{succeeded}} succeeded</title></rect>
        <rect x="{{failedX}}" y="{{failedY}}" width="18" height="{{failedHeight}}" fill="#c62828"><title>{{day}}: {{failed}} failed</title></rect>
        <text x="{{x}}" y="135" font-size="10">{{label}}</text></g>{{/days}}
        </svg>
        <table><tr><th>Day</th><th>Succeeded</th><th>Failed</th><th>Rows exported</th></tr>
        {{#days}}<tr><td>{{day}}</td><td>{{succeeded}}</td><td>{{failed}}</td><td>{{rows}}</td></tr>{{/days}}</table>
        <h2>Needs attention</h2>
        {{#unhealthy}}<p class="error">{{activation}} / {{segment}}: {{reason}}</p>{{/unhealthy}}
        {{^unhealthy}}<p>Every activation is on time.</p>{{/unhealthy}}
        <h2>Next runs</h2>
        <table><tr><th>Activation</th><th>Segment</th><th>Next run</th><th>Last</th></tr>
        {{#lines}}<tr><td>{{activation}}</td><td>{{segment}}</td><td>{{next}}</td><td>{{last}}</td></tr>{{/lines}}</table>
        {{> footer}}
        """

    static let destinations = """
        {{> header}}
        <table><tr><th>Name</th><th>Bucket and folder</th><th>Type</th><th>Access</th><th>Encryption</th></tr>
        {{#items}}<tr><td>{{name}}</td><td>s3://{{bucket}}/{{folderPath}}</td><td>{{fileType}} {{compression}}</td><td>{{access}}</td><td>{{encryption}}</td></tr>{{/items}}
        </table>
        {{#hasPermissions}}<h2>Connection test</h2><table>{{#permissions}}<tr><td>{{permission}}</td><td class="{{#granted}}ok{{/granted}}{{^granted}}bad{{/granted}}">{{#granted}}pass{{/granted}}{{^granted}}fail{{/granted}}</td></tr>{{/permissions}}</table>{{/hasPermissions}}
        {{#writable}}<h2>New destination</h2>
        <form method="post" action="/destinations" class="card"><input type="hidden" name="_csrf" value="{{csrf}}">
        <label>Name <input name="name" required value="{{form.name}}"></label>
        <label>Bucket <input name="bucket" required value="{{form.bucket}}"></label>
        <label>Folder path <input name="folderPath" value="{{form.folderPath}}" placeholder="audiences/%SEGMENT_NAME%"></label>
        <label>Region <input name="region" value="{{form.region}}"></label>
        <label>Endpoint <input name="endpoint" value="{{form.endpoint}}" placeholder="default: the server's"></label>
        <label>File type <select name="fileType"><option>csv</option><option>tsv</option><option value="json">json (JSON Lines)</option><option>parquet</option></select></label>
        <label>Compression <select name="compression"><option>none</option><option>gzip</option><option value="snappy">snappy (parquet)</option></select></label>
        <label><input type="checkbox" name="nested" value="on"> Parquet: arrays and objects as LIST and STRUCT columns</label>
        <label><input type="checkbox" name="manifest" value="on"> Write a manifest</label>
        <fieldset><legend>Access: a key pair, or a role Ferry assumes with its own credentials</legend>
        <label>Access key id <input name="accessKeyId" autocomplete="off" value="{{form.accessKeyId}}"></label>
        <label>Secret access key <input type="password" name="secretAccessKey" autocomplete="off"></label>
        <label>Session token <input type="password" name="sessionToken" autocomplete="off"></label>
        <label>Role ARN <input name="roleArn" value="{{form.roleArn}}" placeholder="arn:aws:iam::123456789012:role/NAME"></label>
        <label>External id <input name="externalId" value="{{form.externalId}}"></label>
        <label>Session name <input name="sessionName" value="{{form.sessionName}}" placeholder="ferry"></label></fieldset>
        <fieldset><legend>Encryption</legend>
        <label>Server-side encryption <select name="sse"><option value="">none</option><option>aes256</option><option>aws:kms</option></select></label>
        <label>KMS key id <input name="kmsKeyId" value="{{form.kmsKeyId}}" placeholder="alias/NAME"></label>
        <label>PGP public key (armored): files are encrypted to it <textarea name="pgpPublicKey" rows="4" placeholder="-----BEGIN PGP PUBLIC KEY BLOCK-----">{{form.pgpPublicKey}}</textarea></label></fieldset>
        <button>Test and save</button></form>{{/writable}}
        {{> footer}}
        """

    static let segments = """
        {{> header}}
        <table><tr><th>Name</th><th>PQL</th><th>Members</th><th>Evaluated</th></tr>
        {{#items}}<tr><td>{{name}}</td><td><code>{{pql}}</code></td><td>{{size}}</td><td>{{evaluated}}</td></tr>{{/items}}
        </table>
        {{#writable}}<h2>New segment</h2>
        <form method="post" action="/segments" class="card"><input type="hidden" name="_csrf" value="{{csrf}}">
        <label>Name <input name="name" required value="{{form.name}}"></label>
        <label>PQL <textarea name="pql" rows="4" required>{{form.pql}}</textarea></label>
        {{#pqlError}}<pre class="error">{{pqlError}}</pre>{{/pqlError}}
        <label>Description <input name="description" value="{{form.description}}"></label>
        <button name="action" value="check">Check and estimate</button> <button name="action" value="save">Save and evaluate</button></form>{{/writable}}
        {{> footer}}
        """

    static let activations = """
        {{> header}}
        <table><tr><th>Name</th><th>Destination</th><th>Segments</th><th>Schedule</th><th>State</th><th></th></tr>
        {{#items}}<tr><td>{{name}}</td><td>{{destination}}</td><td>{{segments}}</td><td>{{schedule}}</td><td>{{state}}</td>
        <td>{{#writable}}<a href="/activations/{{id}}/edit">Edit</a> <form method="post" action="/activations/{{id}}/export" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button>Export now</button></form>
        <form method="post" action="/activations/{{id}}/{{toggle}}" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button>{{toggle}}</button></form>{{/writable}}</td></tr>{{/items}}
        </table>
        {{#writable}}<h2>New activation</h2>
        <form method="post" action="/activations" class="card"><input type="hidden" name="_csrf" value="{{csrf}}">
        <fieldset><legend>1. Destination</legend><select name="destination" required>{{#destinations}}<option value="{{id}}">{{name}}</option>{{/destinations}}</select></fieldset>
        <fieldset><legend>2. Segments</legend>{{#segmentChoices}}<label><input type="checkbox" name="segment" value="{{id}}"> {{name}}</label>{{/segmentChoices}}</fieldset>
        <fieldset><legend>3. Schedule</legend>
        <label>Frequency <select name="frequency">{{#frequencies}}<option>{{.}}</option>{{/frequencies}}</select></label>
        <label>Day (weekly: monday ... sunday; monthly: 1 to 31, default the start's) <input name="day"></label>
        <label>Trigger <select name="trigger"><option value="schedule">on the schedule</option><option value="after-evaluation">after each evaluation (frequency once)</option></select></label>
        <label>Start (UTC, default now) <input type="datetime-local" name="start"></label>
        <label>Mode <select name="mode"><option>full</option><option>incremental</option></select></label></fieldset>
        <fieldset><legend>4. Mapping</legend>
        <label>One column per line, SOURCE or SOURCE=COLUMN <textarea name="columns" rows="4" required placeholder="identityMap.Email=email">{{form.columns}}</textarea></label>
        <p>Default column names: {{#defaults}}<code>{{source}}</code> → <code>{{column}}</code> {{/defaults}}</p></fieldset>
        <fieldset><legend>5. Review and save</legend>
        <label>Name <input name="name" required value="{{form.name}}"></label>
        <button>Save activation</button></fieldset></form>{{/writable}}
        {{> footer}}
        """

    /// One activation's settings, changed in place: every field is checked again as on create.
    static let activation = """
        {{> header}}
        <form method="post" action="/activations/{{id}}/edit" class="card"><input type="hidden" name="_csrf" value="{{csrf}}">
        <label>Name <input name="name" required value="{{name}}"></label>
        <fieldset><legend>Destination</legend><select name="destination" required>{{#destinations}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/destinations}}</select></fieldset>
        <fieldset><legend>Segments</legend>{{#segmentChoices}}<label><input type="checkbox" name="segment" value="{{id}}"{{#selected}} checked{{/selected}}> {{name}}</label>{{/segmentChoices}}</fieldset>
        <fieldset><legend>Schedule</legend>
        <label>Frequency <select name="frequency">{{#frequencies}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/frequencies}}</select></label>
        <label>Day (weekly: monday ... sunday; monthly: 1 to 31) <input name="day" value="{{day}}"></label>
        <label>Trigger <select name="trigger">{{#triggers}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/triggers}}</select></label>
        <label>Start (UTC) <input type="datetime-local" name="start" value="{{start}}"></label>
        <label>End day (not exported itself; empty: no end) <input type="date" name="end" value="{{end}}"></label>
        <label>Mode <select name="mode">{{#modes}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/modes}}</select></label>
        <label><input type="checkbox" name="enabled" value="on"{{#enabled}} checked{{/enabled}}> Enabled</label></fieldset>
        <fieldset><legend>Mapping</legend>
        <label>One column per line, SOURCE or SOURCE=COLUMN <textarea name="columns" rows="4" required>{{columns}}</textarea></label></fieldset>
        <button>Save changes</button></form>
        {{> footer}}
        """

    static let runs = """
        {{> header}}
        <form method="get" action="/runs" class="inline">
        <label>Activation <select name="activation"><option value="">any</option>{{#activationChoices}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/activationChoices}}</select></label>
        <label>Segment <select name="segment"><option value="">any</option>{{#segmentChoices}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/segmentChoices}}</select></label>
        <label>Since <input type="date" name="since" value="{{since}}"></label>
        <label>Status <select name="status"><option value="">any</option>{{#statuses}}<option {{#selected}}selected{{/selected}}>{{name}}</option>{{/statuses}}</select></label>
        <button>Filter</button></form>
        <table><tr><th>Run</th><th>Status</th><th>Scheduled</th><th>Activation</th><th>Segment</th><th>Rows</th><th>Files</th></tr>
        {{#items}}<tr><td><a href="/runs/{{id}}">{{shortId}}</a></td><td class="{{status}}">{{status}}</td><td>{{scheduled}}</td><td>{{activation}}</td><td>{{segment}}</td><td>{{exported}}</td><td>{{files}}</td></tr>{{/items}}
        </table>
        {{> footer}}
        """

    static let run = """
        {{> header}}
        <dl><dt>Status</dt><dd class="{{status}}" id="run-status">{{status}}</dd>
        <dt>Activation</dt><dd>{{activation}}</dd><dt>Segment</dt><dd>{{segment}}</dd>
        <dt>Scheduled</dt><dd>{{scheduled}}</dd><dt>Mode</dt><dd>{{mode}}</dd>
        <dt>Profiles received</dt><dd>{{profilesReceived}}</dd><dt>Exported</dt><dd>{{exported}}</dd>
        <dt>Excluded, missing a mandatory field</dt><dd>{{excludedMandatory}}</dd><dt>Excluded as duplicates</dt><dd>{{excludedDuplicate}}</dd>
        <dt>Attempts</dt><dd>{{attempts}}</dd>{{#manifestKey}}<dt>Manifest</dt><dd><code>{{manifestKey}}</code></dd>{{/manifestKey}}
        {{#runError}}<dt>Error</dt><dd class="error">{{runError}}</dd>{{/runError}}</dl>
        <h2>Files</h2><table><tr><th>Key</th><th>Rows</th><th>Bytes</th></tr>
        {{#files}}<tr><td><code>{{key}}</code></td><td>{{rows}}</td><td>{{bytes}}</td></tr>{{/files}}</table>
        {{> footer}}
        """

    static let message = """
        {{> header}}
        <p><a href="{{back}}">Back</a></p>
        {{> footer}}
        """

    static let css = """
        body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
        header{display:flex;flex-wrap:wrap;gap:1em;align-items:center;padding:.6em 1em;background:#12355b;color:#fff}
        header a{color:#fff;margin-right:.8em}main{padding:1em;max-width:70em}
        table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border-bottom:1px solid #ddd;padding:.3em;text-align:left;vertical-align:top}
        .card{display:grid;gap:.5em;max-width:32em;background:#fff;padding:1em;border:1px solid #ddd}
        .inline{display:inline}label{display:block}fieldset{border:1px solid #ddd;margin:.5em 0}
        input,select,textarea{font:inherit;max-width:100%}textarea{width:100%}
        .error,.failed,.bad{color:#b00020}.ok,.success{color:#2e7d32}.notice{color:#12355b}
        pre{white-space:pre-wrap}code{word-break:break-all}
        @media (max-width:40em){td,th{font-size:.85em}}
        """
}
