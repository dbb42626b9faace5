//! One table of cases per function, taken from the examples of Microsoft's template function
//! reference (with parameter values written inline), and a check that every function the
//! evaluator computes, and every one it leaves unknown on purpose, has a case.

use super::*;
use serde_json::json;

struct E;
impl Env for E {
    fn parameter(&self, name: &str) -> Val {
        match name {
            "name" => Ok(json!("aks")),
            "private" => Ok(json!(true)),
            "props" => Ok(json!({"a": 1, "b": marker("reference('x')")})),
            _ => Err(Unknown(format!("parameters('{name}')"))),
        }
    }
    fn variable(&self, name: &str) -> Val {
        match name {
            "v" => Ok(json!({"a": [1, 2]})),
            _ => Err(Unknown(format!("variables('{name}')"))),
        }
    }
    fn copy_index(&self, name: Option<&str>) -> Val {
        match name {
            None | Some("loop") => Ok(json!(2)),
            Some(n) => Err(Unknown(format!("copyIndex('{n}')"))),
        }
    }
}

const DOGS: &str = "json('[{\"name\":\"Evie\",\"age\":5},{\"name\":\"Casper\",\"age\":3},{\"name\":\"Indy\",\"age\":2},{\"name\":\"Kira\",\"age\":8}]')";

/// (function, expression without brackets, expected JSON; `?` for unknown).
fn cases() -> Vec<(&'static str, String, &'static str)> {
    let c = |f: &'static str, e: &str, want: &'static str| (f, e.to_string(), want);
    vec![
        // array
        c("array", "array(1)", "[1]"),
        c("array", "array('efgh')", r#"["efgh"]"#),
        c(
            "array",
            "array(createObject('a', 'b', 'c', 'd'))",
            r#"[{"a":"b","c":"d"}]"#,
        ),
        c(
            "concat",
            "concat(createArray('1-1', '1-2', '1-3'), createArray('2-1', '2-2', '2-3'))",
            r#"["1-1","1-2","1-3","2-1","2-2","2-3"]"#,
        ),
        c("concat", "concat('prefix', '-', 5)", r#""prefix-5""#),
        c("contains", "contains('OneTwoThree', 'e')", "true"),
        c("contains", "contains('OneTwoThree', 'z')", "false"),
        c(
            "contains",
            "contains(createObject('one', 'a', 'two', 'b', 'three', 'c'), 'one')",
            "true",
        ),
        c(
            "contains",
            "contains(createObject('one', 'a', 'two', 'b', 'three', 'c'), 'ONE')",
            "true",
        ),
        c(
            "contains",
            "contains(createObject('one', 'a', 'two', 'b', 'three', 'c'), 'four')",
            "false",
        ),
        c(
            "contains",
            "contains(createArray('one', 'two', 'three'), 'three')",
            "true",
        ),
        c(
            "contains",
            "contains(createArray('one', 'two', 'three'), 'four')",
            "false",
        ),
        c("contains", "contains(parameters('props'), 'b')", "true"),
        c(
            "createarray",
            "createArray('a', 'b', 'c')",
            r#"["a","b","c"]"#,
        ),
        c("createarray", "createArray(1, 2, 3)", "[1,2,3]"),
        c(
            "createarray",
            "createArray(createObject('one', 'a'), createArray('one', 'two'))",
            r#"[{"one":"a"},["one","two"]]"#,
        ),
        c("empty", "empty(createArray())", "true"),
        c("empty", "empty(createObject())", "true"),
        c("empty", "empty('')", "true"),
        c("empty", "empty(null())", "true"),
        c(
            "first",
            "first(createArray('one', 'two', 'three'))",
            r#""one""#,
        ),
        c("first", "first('One Two Three')", r#""O""#),
        c(
            "flatten",
            "flatten(createArray(createArray('one', 'two'), createArray('three'), createArray('four', 'five')))",
            r#"["one","two","three","four","five"]"#,
        ),
        c("indexof", "indexOf(createArray('a', 'b', 'c'), 'b')", "1"),
        c("indexof", "indexOf(createArray(1, 2, 3), 4)", "-1"),
        c("indexof", "indexOf('test', 't')", "0"),
        c("indexof", "indexOf('abcdef', 'CD')", "2"),
        c("indexof", "indexOf('abcdef', 'z')", "-1"),
        c(
            "intersection",
            "intersection(createObject('one', 'a', 'two', 'b', 'three', 'c'), createObject('one', 'a', 'two', 'z', 'three', 'c'))",
            r#"{"one":"a","three":"c"}"#,
        ),
        c(
            "intersection",
            "intersection(createArray('one', 'two', 'three'), createArray('three', 'four'))",
            r#"["three"]"#,
        ),
        c(
            "last",
            "last(createArray('one', 'two', 'three'))",
            r#""three""#,
        ),
        c("last", "last('One Two Three')", r#""e""#),
        c("lastindexof", "lastIndexOf('test', 't')", "3"),
        c("lastindexof", "lastIndexOf('abcdef', 'AB')", "0"),
        c(
            "lastindexof",
            "lastIndexOf(createArray('a', 'b', 'a'), 'a')",
            "2",
        ),
        c("length", "length(createArray('one', 'two', 'three'))", "3"),
        c("length", "length('One Two Three')", "13"),
        c(
            "length",
            "length(createObject('propA', 'one', 'propB', 'two', 'propC', 'three', 'propD', createObject('propD-1', 'sub', 'propD-2', 'sub'), 'propE', createArray()))",
            "5",
        ),
        c("max", "max(createArray(0, 3, 2, 5, 4))", "5"),
        c("max", "max(0, 3, 2, 5, 4)", "5"),
        c("min", "min(createArray(0, 3, 2, 5, 4))", "0"),
        c("min", "min(0, 3, 2, 5, 4)", "0"),
        c("range", "range(5, 3)", "[5,6,7]"),
        c(
            "skip",
            "skip(createArray('one', 'two', 'three'), 2)",
            r#"["three"]"#,
        ),
        c("skip", "skip('one two three', 4)", r#""two three""#),
        c(
            "take",
            "take(createArray('one', 'two', 'three'), 2)",
            r#"["one","two"]"#,
        ),
        c("take", "take('one two three', 2)", r#""on""#),
        c(
            "union",
            "union(createArray('one', 'two', 'three'), createArray('three', 'four'))",
            r#"["one","two","three","four"]"#,
        ),
        c(
            "union",
            "union(createObject('one', 'a', 'two', 'b', 'three', 'c1'), createObject('three', 'c2', 'four', 'd', 'five', 'e'))",
            r#"{"one":"a","two":"b","three":"c2","four":"d","five":"e"}"#,
        ),
        c(
            "union",
            "union(json('{\"property\":{\"one\":\"a\",\"two\":\"b\",\"three\":\"c1\"},\"nestedArray\":[1,2]}'), json('{\"property\":{\"three\":\"c2\",\"four\":\"d\",\"five\":\"e\"},\"nestedArray\":[3,4]}'))",
            r#"{"property":{"one":"a","two":"b","three":"c2","four":"d","five":"e"},"nestedArray":[3,4]}"#,
        ),
        // comparison
        c(
            "coalesce",
            "coalesce(null(), null(), 'default')",
            r#""default""#,
        ),
        c("coalesce", "coalesce(null(), 1)", "1"),
        c("coalesce", "coalesce(null(), null())", "null"),
        c("equals", "equals(1, 1)", "true"),
        c("equals", "equals('a', 'a')", "true"),
        c("equals", "equals('a', 'A')", "false"),
        c(
            "equals",
            "equals(createArray('a', 'b'), createArray('a', 'b'))",
            "true",
        ),
        c(
            "equals",
            "equals(createObject('a', 'b'), createObject('a', 'b'))",
            "true",
        ),
        c(
            "equals",
            "equals(parameters('props'), parameters('props'))",
            "?reference('x')",
        ),
        c("greater", "greater(10, 5)", "true"),
        c("greater", "greater('A', 'a')", "false"),
        c("greaterorequals", "greaterOrEquals(10, 5)", "true"),
        c("greaterorequals", "greaterOrEquals('A', 'a')", "false"),
        c("less", "less(10, 5)", "false"),
        c("less", "less('A', 'a')", "true"),
        c("lessorequals", "lessOrEquals(10, 5)", "false"),
        c("lessorequals", "lessOrEquals('A', 'a')", "true"),
        // date
        c(
            "datetimefromepoch",
            "dateTimeFromEpoch(1683040573)",
            r#""2023-05-02T15:16:13Z""#,
        ),
        c(
            "datetimetoepoch",
            "dateTimeToEpoch('2023-05-02T15:16:13Z')",
            "1683040573",
        ),
        c(
            "datetimeadd",
            "dateTimeAdd('2020-04-07 14:53:14Z', 'P3Y')",
            "?dateTimeAdd('2020-04-07 14:53:14Z', 'P3Y')",
        ),
        c("utcnow", "utcNow()", "?utcNow()"),
        // deployment
        c("copyindex", "copyIndex()", "2"),
        c("copyindex", "copyIndex(1)", "3"),
        c("copyindex", "copyIndex('loop', 1)", "3"),
        c("copyindex", "copyIndex('other')", "?copyIndex('other')"),
        c("deployment", "deployment().name", "?deployment().name"),
        c("parameters", "parameters('name')", r#""aks""#),
        c("parameters", "parameters( 'private' )", "true"),
        c("parameters", "parameters('sub')", "?parameters('sub')"),
        c("parameters", "parameters('props').a", "1"),
        c("parameters", "parameters('props').b", "?reference('x')"),
        c("variables", "variables('v').a[1]", "2"),
        c("variables", "variables('w')", "?variables('w')"),
        c(
            "environment",
            "environment().suffixes.storage",
            "?environment().suffixes.storage",
        ),
        c("deployer", "deployer().objectId", "?deployer().objectId"),
        // lambda
        c(
            "filter",
            &format!(
                "filter({DOGS}, lambda('dog', greaterOrEquals(lambdaVariables('dog').age, 5)))"
            ),
            r#"[{"name":"Evie","age":5},{"name":"Kira","age":8}]"#,
        ),
        c(
            "groupby",
            "groupBy(createArray('foo', 'bar', 'baz'), lambda('x', substring(lambdaVariables('x'), 0, 1)))",
            r#"{"f":["foo"],"b":["bar","baz"]}"#,
        ),
        c(
            "lambda",
            "lambda('x', lambdaVariables('x'))",
            "?lambda('x', lambdaVariables('x'))",
        ),
        c(
            "lambdavariables",
            &format!("map({DOGS}, lambda('dog', lambdaVariables('dog').name))"),
            r#"["Evie","Casper","Indy","Kira"]"#,
        ),
        c(
            "map",
            &format!(
                "map({DOGS}, lambda('dog', concat('Hello ', lambdaVariables('dog').name, '!')))"
            ),
            r#"["Hello Evie!","Hello Casper!","Hello Indy!","Hello Kira!"]"#,
        ),
        c(
            "map",
            "map(range(0, 2), lambda('i', format('Hi {0}!', lambdaVariables('i'))))",
            r#"["Hi 0!","Hi 1!"]"#,
        ),
        c(
            "mapvalues",
            "mapValues(createObject('foo', 'foo', 'bar', 'bar'), lambda('val', toUpper(lambdaVariables('val'))))",
            r#"{"foo":"FOO","bar":"BAR"}"#,
        ),
        c(
            "reduce",
            "reduce(createArray(5, 3, 2, 8), 0, lambda('cur', 'next', add(lambdaVariables('cur'), lambdaVariables('next'))))",
            "18",
        ),
        c(
            "sort",
            &format!(
                "map(sort({DOGS}, lambda('a', 'b', less(lambdaVariables('a').age, lambdaVariables('b').age))), lambda('d', lambdaVariables('d').name))"
            ),
            r#"["Indy","Casper","Evie","Kira"]"#,
        ),
        c(
            "toobject",
            &format!(
                "toObject({DOGS}, lambda('entry', lambdaVariables('entry').name), lambda('entry', lambdaVariables('entry').age))"
            ),
            r#"{"Evie":5,"Casper":3,"Indy":2,"Kira":8}"#,
        ),
        // logical
        c("and", "and(bool('true'), bool('false'))", "false"),
        c("and", "and(false(), reference('x').on)", "false"),
        c(
            "and",
            "and(true(), reference('x').on)",
            "?reference('x').on",
        ),
        c("or", "or(bool('true'), bool('false'))", "true"),
        c("or", "or(true(), reference('x').on)", "true"),
        c("not", "not(bool('true'))", "false"),
        c("not", "not(equals(parameters('name'), 'x'))", "true"),
        c("bool", "bool('true')", "true"),
        c("bool", "bool('false')", "false"),
        c("bool", "bool(1)", "true"),
        c("bool", "bool(0)", "false"),
        c("true", "true()", "true"),
        c("true", "true", "true"),
        c("false", "false()", "false"),
        c("if", "if(equals('a', 'a'), 'yes', 'no')", r#""yes""#),
        c("if", "if(true(), 'a', reference('x'))", r#""a""#),
        c(
            "if",
            "if(parameters('sub'), 'a', 'b')",
            "?parameters('sub')",
        ),
        c(
            "if",
            "if(not(empty('')), createObject('a', 1), createObject())",
            "{}",
        ),
        // numeric
        c("add", "add(5, 3)", "8"),
        c("div", "div(8, 3)", "2"),
        c("div", "div(8, 0)", "?div(8, 0)"),
        c("float", "float('2.5')", "2.5"),
        c("int", "int('4')", "4"),
        c("mod", "mod(7, 3)", "1"),
        c("mul", "mul(5, 3)", "15"),
        c("sub", "sub(7, 3)", "4"),
        // object
        c(
            "createobject",
            "createObject('intProp', 1, 'stringProp', 'abc', 'boolProp', true(), 'arrayProp', createArray('a', 'b', 'c'), 'objectProp', createObject('key1', 'value1'))",
            r#"{"intProp":1,"stringProp":"abc","boolProp":true,"arrayProp":["a","b","c"],"objectProp":{"key1":"value1"}}"#,
        ),
        c(
            "createobject",
            "createObject('a', reference('x').id).a",
            "?reference('x').id",
        ),
        c(
            "createobject",
            "createObject('a', reference('x').id, 'b', 2).b",
            "2",
        ),
        c(
            "items",
            "items(createObject('item002', createObject('displayName', 'Example item 2', 'number', 200), 'item001', createObject('displayName', 'Example item 1', 'number', 300)))",
            r#"[{"key":"item001","value":{"displayName":"Example item 1","number":300}},{"key":"item002","value":{"displayName":"Example item 2","number":200}}]"#,
        ),
        c("json", "json('{\"a\": \"b\"}')", r#"{"a":"b"}"#),
        c("json", "json('null')", "null"),
        c("json", "json('true')", "true"),
        c("json", "json('\"demo\"')", r#""demo""#),
        c("null", "null()", "null"),
        c(
            "objectkeys",
            "objectKeys(createObject('a', 1, 'b', 2))",
            r#"["a","b"]"#,
        ),
        c(
            "shallowmerge",
            "shallowMerge(createArray(createObject('one', 'a'), createObject('two', 'b'), createObject('two', 'c')))",
            r#"{"one":"a","two":"c"}"#,
        ),
        c(
            "shallowmerge",
            "shallowMerge(createArray(createObject('one', 'a', 'nested', createObject('a', 1, 'nested', createObject('c', 3))), createObject('two', 'b', 'nested', createObject('b', 2))))",
            r#"{"one":"a","nested":{"b":2},"two":"b"}"#,
        ),
        c("tryget", "tryGet(createObject('a', 'b'), 'a')", r#""b""#),
        c("tryget", "tryGet(createObject('a', 'b'), 'c')", "null"),
        // resource
        c(
            "extensionresourceid",
            "extensionResourceId('/subscriptions/s/resourceGroups/rg', 'Microsoft.Authorization/locks', 'lock')",
            r#""/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/locks/lock""#,
        ),
        c(
            "extensionresourceid",
            "extensionResourceId(resourceGroup().id, 'Microsoft.Authorization/locks', 'lock')",
            "?resourceGroup().id",
        ),
        c(
            "managementgroupresourceid",
            "managementGroupResourceId('mg', 'Microsoft.Authorization/policyDefinitions', 'p')",
            r#""/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/policyDefinitions/p""#,
        ),
        c(
            "resourceid",
            "resourceId('Microsoft.Network/virtualNetworks/subnets', 'v', 's')",
            r#""Microsoft.Network/virtualNetworks/v/subnets/s""#,
        ),
        c(
            "resourceid",
            "resourceId('Microsoft.Network/virtualNetworks/subnets', 'v/s')",
            r#""Microsoft.Network/virtualNetworks/v/subnets/s""#,
        ),
        c(
            "resourceid",
            "resourceId('s', 'rg', 'Microsoft.Network/routeTables', 'rt')",
            r#""/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt""#,
        ),
        c(
            "resourceid",
            "resourceId(parameters('sub'), 'rg', 'Microsoft.Network/routeTables', 'rt')",
            r#""Microsoft.Network/routeTables/rt""#,
        ),
        c(
            "resourceid",
            "resourceId('Microsoft.Network/routeTables', parameters('sub'))",
            // Unknown as a whole: the call tells one resource from another.
            "?resourceId('Microsoft.Network/routeTables', parameters('sub'))",
        ),
        c(
            "subscriptionresourceid",
            "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')",
            r#""Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7""#,
        ),
        c(
            "subscriptionresourceid",
            "subscriptionResourceId('s', 'Microsoft.Resources/resourceGroups', 'rg')",
            r#""/subscriptions/s/providers/Microsoft.Resources/resourceGroups/rg""#,
        ),
        c(
            "tenantresourceid",
            "tenantResourceId('Microsoft.Authorization/policyDefinitions', 'p')",
            r#""/providers/Microsoft.Authorization/policyDefinitions/p""#,
        ),
        c("reference", "reference('x').id", "?reference('x').id"),
        c("references", "references('x')", "?references('x')"),
        c(
            "list*",
            "listKeys('x', '2023-01-01').keys[0].value",
            "?listKeys('x', '2023-01-01').keys[0].value",
        ),
        c(
            "pickzones",
            "pickZones('Microsoft.Compute', 'virtualMachines', 'westus2')",
            "?pickZones('Microsoft.Compute', 'virtualMachines', 'westus2')",
        ),
        c(
            "providers",
            "providers('Microsoft.Web', 'sites')",
            "?providers('Microsoft.Web', 'sites')",
        ),
        // scope
        c(
            "managementgroup",
            "managementGroup().name",
            "?managementGroup().name",
        ),
        c(
            "resourcegroup",
            "resourceGroup().location",
            "?resourceGroup().location",
        ),
        c(
            "resourcegroup",
            "resourceGroup().type",
            r#""Microsoft.Resources/resourceGroups""#,
        ),
        c(
            "subscription",
            "subscription().subscriptionId",
            "?subscription().subscriptionId",
        ),
        c("tenant", "tenant().tenantId", "?tenant().tenantId"),
        // string
        c(
            "base64",
            "base64('one, two, three')",
            r#""b25lLCB0d28sIHRocmVl""#,
        ),
        c(
            "base64tojson",
            "base64ToJson('eyJvbmUiOiAiYSIsICJ0d28iOiAiYiJ9')",
            r#"{"one":"a","two":"b"}"#,
        ),
        c(
            "base64tostring",
            "base64ToString('b25lLCB0d28sIHRocmVl')",
            r#""one, two, three""#,
        ),
        c(
            "datauri",
            "dataUri('Hello')",
            r#""data:text/plain;charset=utf8;base64,SGVsbG8=""#,
        ),
        c(
            "datauritostring",
            "dataUriToString('data:;base64,SGVsbG8sIFdvcmxkIQ==')",
            r#""Hello, World!""#,
        ),
        c("endswith", "endsWith('abcdef', 'ef')", "true"),
        c("endswith", "endsWith('abcdef', 'F')", "true"),
        c("endswith", "endsWith('abcdef', 'e')", "false"),
        c(
            "format",
            "format('{0}, {1}. Formatted number: {2:N0}', 'Hello', 'User', 8175133)",
            r#""Hello, User. Formatted number: 8,175,133""#,
        ),
        c(
            "format",
            "format('{0}/{1}', parameters('name'), 'x')",
            r#""aks/x""#,
        ),
        c(
            "format",
            "format('{0}-{1}', parameters('name'), reference('x').id)",
            "?reference('x').id",
        ),
        c("guid", "guid('a', 'b')", "?guid('a', 'b')"),
        c(
            "join",
            "join(createArray('one', 'two', 'three'), ',')",
            r#""one,two,three""#,
        ),
        c(
            "join",
            "join(createArray('one', 'two', 'three'), ';')",
            r#""one;two;three""#,
        ),
        c("newguid", "newGuid()", "?newGuid()"),
        c("padleft", "padLeft('123', 10, '0')", r#""0000000123""#),
        c(
            "replace",
            "replace('123-123-1234', '-', '')",
            r#""1231231234""#,
        ),
        c(
            "replace",
            "replace('123-123-1234', '1234', 'xxxx')",
            r#""123-123-xxxx""#,
        ),
        c(
            "split",
            "split('one,two,three', ',')",
            r#"["one","two","three"]"#,
        ),
        c(
            "split",
            "split('one;two,three', createArray(',', ';'))",
            r#"["one","two","three"]"#,
        ),
        c("startswith", "startsWith('abcdef', 'ab')", "true"),
        c("startswith", "startsWith('abcdef', 'A')", "true"),
        c("startswith", "startsWith('abcdef', 'e')", "false"),
        c(
            "string",
            "string(createObject('valueA', 10, 'valueB', 'Example Text'))",
            r#""{\"valueA\":10,\"valueB\":\"Example Text\"}""#,
        ),
        c(
            "string",
            "string(createArray('a', 'b', 'c'))",
            r#""[\"a\",\"b\",\"c\"]""#,
        ),
        c("string", "string(5)", r#""5""#),
        c("string", "string(true())", r#""True""#),
        c("substring", "substring('one two three', 1, 3)", r#""ne ""#),
        c(
            "substring",
            "substring('one two three', 20, 3)",
            "?substring('one two three', 20, 3)",
        ),
        c("tolower", "toLower('One Two Three')", r#""one two three""#),
        c("toupper", "toUpper('One Two Three')", r#""ONE TWO THREE""#),
        c("trim", "trim('    one two three   ')", r#""one two three""#),
        c(
            "uniquestring",
            "uniqueString(resourceGroup().id)",
            "?uniqueString(resourceGroup().id)",
        ),
        c("uniquestring", "uniqueString('a')", "?uniqueString('a')"),
        c(
            "uri",
            "uri('http://contoso.com/resources/', 'nested/azuredeploy.json')",
            r#""http://contoso.com/resources/nested/azuredeploy.json""#,
        ),
        c(
            "uri",
            "uri('http://contoso.com/resources/azuredeploy.json', 'nested.json')",
            r#""http://contoso.com/resources/nested.json""#,
        ),
        c(
            "uricomponent",
            "uriComponent('http://contoso.com/resources/nested/azuredeploy.json')",
            r#""http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json""#,
        ),
        c(
            "uricomponenttostring",
            "uriComponentToString('http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json')",
            r#""http://contoso.com/resources/nested/azuredeploy.json""#,
        ),
    ]
}

#[test]
fn every_case_evaluates_as_documented() {
    let mut failures = Vec::new();
    for (f, e, want) in cases() {
        let got = eval_string(&format!("[{e}]"), &E);
        let ok = match want.strip_prefix('?') {
            Some(u) => got.as_ref().err().is_some_and(|Unknown(g)| {
                g.strip_prefix('[')
                    .and_then(|g| g.strip_suffix(']'))
                    .unwrap_or(g)
                    == u
            }),
            None => got.as_ref().ok() == Some(&serde_json::from_str::<Json>(want).unwrap()),
        };
        if !ok {
            failures.push(format!("{f}: [{e}] gave {got:?}, want {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_function_has_cases() {
    let table = cases();
    for f in FUNCTIONS.iter().chain(AZURE_ONLY) {
        assert!(table.iter().any(|(n, _, _)| n == f), "{f} has no case");
    }
    for (f, _, _) in &table {
        assert!(
            FUNCTIONS.contains(f) || AZURE_ONLY.contains(f),
            "{f} is not listed"
        );
    }
}

#[test]
fn unknowns_stay_in_place_inside_values() {
    let v = eval_string(
        "[union(createObject('enableRBAC', true(), 'dnsPrefix', parameters('name')), if(parameters('private'), createObject('identity', reference('x').principalId), createObject()))]",
        &E,
    )
    .unwrap();
    assert_eq!(v["enableRBAC"], json!(true));
    assert_eq!(v["dnsPrefix"], json!("aks"));
    assert_eq!(
        as_marker(&v["identity"]),
        Some("reference('x').principalId")
    );
    assert_eq!(first_unknown(&v), Some("reference('x').principalId"));
}

#[test]
fn hostile_expressions_do_not_panic() {
    for hostile in [
        "[format()]",
        "[extensionResourceId()]",
        "[resourceId()]",
        "[if()]",
        "[createObject('a')]",
        "[concat()]",
        "[variables('v')[9]]",
        "[]",
        "['unterminated]",
        "[broken(",
        "[range(0, 99999999)]",
        "[substring('a', -1, 2)]",
        "[padLeft('a', -3)]",
        "[map(createArray(1), 'x')]",
        "[reduce(createArray(1), 0)]",
        "[copyIndex('a', 'b', 'c')]",
        "[add(9223372036854775807, 1)]",
        "[dateTimeToEpoch('x')]",
    ] {
        let _ = eval_string(hostile, &E);
    }
    assert!(!is_expression("[[literal]"));
    assert_eq!(eval_string("[broken(", &E), Err(Unknown("[broken(".into())));
}
