//! The schema's design as the migrations leave it, for team policies (`[policy]`):
//! tables with their columns, primary keys, comments and row-level security; every
//! index (constraint-backed ones too) with its elements, method and predicate; foreign
//! keys; and every object a migration in scope named. Objects created by a migration in
//! scope carry the [`Site`] a finding points at; what the shipped history created
//! carries none (an index created three years ago still covers a foreign key).
//! Pure: statements in, a model out.

use super::ast::{contype, deparse_expr, nodes};
use super::{names, schema};
use pg_query::protobuf::{
    AlterTableType, ColumnDef, ConstrType, Constraint, IndexElem, IndexStmt, ObjectType, RangeVar,
};
use pg_query::NodeEnum;
use std::collections::BTreeMap;

/// Where a statement of a migration in scope sits: what a policy finding points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub file: String,
    pub version: String,
    pub line: u32,
    pub column: u32,
    pub statement: String,
}

/// A table as the migrations leave it.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The schema it lives in (`public` when the name is not qualified).
    pub schema: String,
    pub name: String,
    /// Set when a migration in scope created it.
    pub site: Option<Site>,
    /// The name of its primary key constraint, when it has one (`""`: the model
    /// cannot tell, e.g. a `LIKE … INCLUDING ALL` or a partition).
    pub primary_key: Option<String>,
    pub columns: BTreeMap<String, Column>,
    /// `COMMENT ON TABLE` ran in scope.
    pub commented: bool,
    /// `ENABLE ROW LEVEL SECURITY` ran in scope (and was not disabled after).
    pub rls: bool,
}

/// A column as the migrations leave it.
#[derive(Debug, Clone, Default)]
pub struct Column {
    /// The canonical type name (`int4`, `varchar`, …).
    pub type_name: String,
    /// Set when a migration in scope added it.
    pub site: Option<Site>,
    /// `COMMENT ON COLUMN` ran in scope.
    pub commented: bool,
}

/// An index (`CREATE INDEX`, or the one behind a primary key or unique constraint).
#[derive(Debug, Clone)]
pub struct Index {
    pub table: String,
    pub name: String,
    pub unique: bool,
    /// `btree`, `gin`, …
    pub method: String,
    /// Each element as SQL: a column name or an expression, with its collation,
    /// operator class and order when given.
    pub elements: Vec<String>,
    /// The `WHERE` predicate as SQL.
    pub predicate: Option<String>,
    /// Set when a migration in scope created it.
    pub site: Option<Site>,
    /// Its constraint's name, when a constraint owns it.
    pub constraint: Option<String>,
    /// Order of creation.
    pub order: usize,
}

/// A foreign key.
#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub table: String,
    pub name: String,
    pub columns: Vec<String>,
    pub references: String,
    pub site: Option<Site>,
}

/// The kinds of object a naming policy judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Table,
    Column,
    Index,
    Constraint,
    Sequence,
    Function,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Table,
        Kind::Column,
        Kind::Index,
        Kind::Constraint,
        Kind::Sequence,
        Kind::Function,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Column => "column",
            Kind::Index => "index",
            Kind::Constraint => "constraint",
            Kind::Sequence => "sequence",
            Kind::Function => "function",
        }
    }
}

/// A name a migration in scope gave an object.
#[derive(Debug, Clone)]
pub struct Named {
    pub kind: Kind,
    pub name: String,
    /// The table it belongs to (columns, indexes, constraints).
    pub table: Option<String>,
    /// The columns it covers (indexes, constraints), for suggesting a name.
    pub columns: Vec<String>,
    /// For constraints: `pkey`, `fkey`, `key` (unique), `check`, `excl`.
    pub suffix: &'static str,
    pub site: Site,
}

/// The design the migrations build.
#[derive(Debug, Clone, Default)]
pub struct Design {
    pub tables: BTreeMap<String, Table>,
    pub indexes: BTreeMap<String, Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub named: Vec<Named>,
    created: usize,
}

/// Makes the [`Site`] of a location in the statement being applied (`-1`: its start);
/// `None` for statements of shipped migrations.
pub type SiteOf<'a> = Option<&'a dyn Fn(i32) -> Site>;

fn key_of(rv: &RangeVar) -> String {
    names::range_var(rv)
}

/// The index element as SQL.
fn element(e: &IndexElem) -> String {
    let mut s = if e.name.is_empty() {
        e.expr
            .as_ref()
            .and_then(|x| x.node.as_ref())
            .and_then(deparse_expr)
            .map(|x| format!("({x})"))
            .unwrap_or_else(|| "(?)".into())
    } else {
        e.name.clone()
    };
    let collation = names::strings(&e.collation);
    if !collation.is_empty() {
        s.push_str(&format!(" COLLATE {}", collation.join(".")));
    }
    let opclass = names::strings(&e.opclass);
    if !opclass.is_empty() {
        s.push_str(&format!(" {}", opclass.join(".")));
    }
    // SORTBY_DESC = 3, SORTBY_NULLS_FIRST = 2 / LAST = 3 (PostgreSQL's enums).
    if e.ordering == pg_query::protobuf::SortByDir::SortbyDesc as i32 {
        s.push_str(" DESC");
    }
    match pg_query::protobuf::SortByNulls::try_from(e.nulls_ordering) {
        Ok(pg_query::protobuf::SortByNulls::SortbyNullsFirst) => s.push_str(" NULLS FIRST"),
        Ok(pg_query::protobuf::SortByNulls::SortbyNullsLast) => s.push_str(" NULLS LAST"),
        _ => {}
    }
    s
}

/// PostgreSQL's generated name for an index or constraint: `table_col1_col2_suffix`.
pub fn generated_name(table: &str, columns: &[String], suffix: &str) -> String {
    let bare = table.rsplit('.').next().unwrap_or(table);
    let mut parts = vec![bare.to_string()];
    parts.extend(columns.iter().cloned());
    parts.push(suffix.to_string());
    parts.join("_")
}

impl Design {
    /// The indexes on a table.
    pub fn index_on<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes.values().filter(move |i| i.table == table)
    }

    /// Applies one statement; `site` is given for statements of migrations in scope.
    pub fn apply(&mut self, node: &NodeEnum, site: SiteOf) {
        match node {
            NodeEnum::CreateStmt(s) => self.create_table(s, site),
            NodeEnum::CreateTableAsStmt(s) => {
                let Some(rv) = s.into.as_ref().and_then(|i| i.rel.as_ref()) else {
                    return;
                };
                if s.objtype == ObjectType::ObjectMatview as i32 || rv.relpersistence == "t" {
                    return;
                }
                let mut t = new_table(rv, site.map(|f| f(-1)));
                if let Some(into) = &s.into {
                    for c in names::strings(&into.col_names) {
                        t.columns.insert(c, Column::default());
                    }
                }
                self.tables.insert(key_of(rv), t);
            }
            NodeEnum::IndexStmt(s) => self.create_index(s, site),
            NodeEnum::AlterTableStmt(s) => self.alter_table(s, site),
            NodeEnum::RenameStmt(s) => self.rename(s, site),
            NodeEnum::DropStmt(s) => self.drop(s),
            NodeEnum::CommentStmt(c) => self.comment(c, site.is_some()),
            NodeEnum::CreateSeqStmt(s) => {
                if let (Some(rv), Some(site)) = (&s.sequence, site) {
                    self.name(
                        Kind::Sequence,
                        &rv.relname,
                        None,
                        &[],
                        "",
                        site(rv.location),
                    );
                }
            }
            NodeEnum::CreateFunctionStmt(f) => {
                if let Some(site) = site {
                    let name = names::strings(&f.funcname).pop().unwrap_or_default();
                    self.name(Kind::Function, &name, None, &[], "", site(-1));
                }
            }
            _ => {}
        }
    }

    fn name(
        &mut self,
        kind: Kind,
        name: &str,
        table: Option<&str>,
        columns: &[String],
        suffix: &'static str,
        site: Site,
    ) {
        if name.is_empty() {
            return;
        }
        self.named.push(Named {
            kind,
            name: name.to_string(),
            table: table.map(str::to_string),
            columns: columns.to_vec(),
            suffix,
            site,
        });
    }

    fn create_table(&mut self, s: &pg_query::protobuf::CreateStmt, site: SiteOf) {
        let Some(rv) = &s.relation else { return };
        let key = key_of(rv);
        if rv.relpersistence == "t" || (s.if_not_exists && self.tables.contains_key(&key)) {
            return;
        }
        let mut t = new_table(rv, site.map(|f| f(-1)));
        // A partition takes its parent's keys; `LIKE … INCLUDING` may copy them.
        let copies = s.partbound.is_some()
            || nodes(&s.table_elts).any(|e| matches!(e, NodeEnum::TableLikeClause(_)));
        if copies {
            t.primary_key = Some(String::new());
        }
        if let Some(site) = site {
            self.name(Kind::Table, &rv.relname, None, &[], "", site(rv.location));
        }
        self.tables.insert(key.clone(), t);
        for elt in nodes(&s.table_elts) {
            match elt {
                NodeEnum::ColumnDef(def) => self.add_column(&key, def, site),
                NodeEnum::Constraint(c) => self.add_constraint(&key, c, &[], site),
                _ => {}
            }
        }
    }

    fn add_column(&mut self, table: &str, def: &ColumnDef, site: SiteOf) {
        let column = Column {
            type_name: def
                .type_name
                .as_ref()
                .map(schema::type_name)
                .unwrap_or_default(),
            site: site.map(|f| f(def.location)),
            commented: false,
        };
        if let Some(t) = self.tables.get_mut(table) {
            t.columns.insert(def.colname.clone(), column);
        }
        if let Some(f) = site {
            self.name(
                Kind::Column,
                &def.colname,
                Some(table),
                &[],
                "",
                f(def.location),
            );
        }
        let cols = [def.colname.clone()];
        for c in nodes(&def.constraints) {
            if let NodeEnum::Constraint(c) = c {
                self.add_constraint(table, c, &cols, site);
            }
        }
    }

    /// A constraint on `table`; `column` holds the column of a column constraint.
    fn add_constraint(&mut self, table: &str, c: &Constraint, column: &[String], site: SiteOf) {
        let listed = names::strings(&c.keys);
        let columns = if listed.is_empty() {
            column.to_vec()
        } else {
            listed
        };
        let (suffix, unique) = match contype(c) {
            ConstrType::ConstrPrimary => ("pkey", true),
            ConstrType::ConstrUnique => ("key", true),
            ConstrType::ConstrForeign => ("fkey", false),
            ConstrType::ConstrCheck => ("check", false),
            ConstrType::ConstrExclusion => ("excl", false),
            _ => return,
        };
        let name = if c.conname.is_empty() {
            match suffix {
                "pkey" => generated_name(table, &[], "pkey"),
                _ => generated_name(table, &columns, suffix),
            }
        } else {
            c.conname.clone()
        };
        if let (Some(f), false) = (site, c.conname.is_empty()) {
            self.name(
                Kind::Constraint,
                &c.conname,
                Some(table),
                &columns,
                suffix,
                f(c.location),
            );
        }
        match contype(c) {
            ConstrType::ConstrForeign => {
                let fk_columns = names::strings(&c.fk_attrs);
                self.foreign_keys.push(ForeignKey {
                    table: table.to_string(),
                    name,
                    columns: if fk_columns.is_empty() {
                        columns
                    } else {
                        fk_columns
                    },
                    references: c.pktable.as_ref().map(key_of).unwrap_or_default(),
                    site: site.map(|f| f(c.location)),
                });
            }
            ConstrType::ConstrPrimary | ConstrType::ConstrUnique if unique => {
                if suffix == "pkey" {
                    if let Some(t) = self.tables.get_mut(table) {
                        t.primary_key = Some(name.clone());
                    }
                }
                if !c.indexname.is_empty() {
                    // `USING INDEX`: the index becomes the constraint's.
                    let key = names::key(schema_of(table), &c.indexname);
                    if let Some(i) = self.indexes.remove(&key) {
                        let renamed = names::key(schema_of(table), &name);
                        self.indexes.insert(
                            renamed,
                            Index {
                                name: name.clone(),
                                constraint: Some(name),
                                ..i
                            },
                        );
                    }
                    return;
                }
                self.created += 1;
                self.indexes.insert(
                    names::key(schema_of(table), &name),
                    Index {
                        table: table.to_string(),
                        name: name.clone(),
                        unique: true,
                        method: "btree".into(),
                        elements: columns,
                        predicate: None,
                        site: site.map(|f| f(c.location)),
                        constraint: Some(name),
                        order: self.created,
                    },
                );
            }
            _ => {}
        }
    }

    fn create_index(&mut self, s: &IndexStmt, site: SiteOf) {
        let Some(rv) = &s.relation else { return };
        let table = key_of(rv);
        let elements: Vec<String> = nodes(&s.index_params)
            .filter_map(|p| match p {
                NodeEnum::IndexElem(e) => Some(element(e)),
                _ => None,
            })
            .collect();
        let plain: Vec<String> = nodes(&s.index_params)
            .filter_map(|p| match p {
                NodeEnum::IndexElem(e) if !e.name.is_empty() => Some(e.name.clone()),
                _ => None,
            })
            .collect();
        let name = if s.idxname.is_empty() {
            generated_name(&table, &plain, "idx")
        } else {
            s.idxname.clone()
        };
        let key = names::key(&rv.schemaname, &name);
        if s.if_not_exists && self.indexes.contains_key(&key) {
            return;
        }
        if let (Some(f), false) = (site, s.idxname.is_empty()) {
            self.name(Kind::Index, &s.idxname, Some(&table), &plain, "idx", f(-1));
        }
        self.created += 1;
        self.indexes.insert(
            key,
            Index {
                table,
                name,
                unique: s.unique,
                method: if s.access_method.is_empty() {
                    "btree".into()
                } else {
                    s.access_method.to_lowercase()
                },
                elements,
                predicate: s
                    .where_clause
                    .as_ref()
                    .and_then(|w| w.node.as_ref())
                    .and_then(deparse_expr),
                site: site.map(|f| f(-1)),
                constraint: None,
                order: self.created,
            },
        );
    }

    fn alter_table(&mut self, s: &pg_query::protobuf::AlterTableStmt, site: SiteOf) {
        let Some(rv) = &s.relation else { return };
        let table = key_of(rv);
        for cmd in nodes(&s.cmds) {
            let NodeEnum::AlterTableCmd(cmd) = cmd else {
                continue;
            };
            let def = cmd.def.as_ref().and_then(|d| d.node.as_ref());
            match AlterTableType::try_from(cmd.subtype).unwrap_or(AlterTableType::Undefined) {
                AlterTableType::AtAddColumn => {
                    if let Some(NodeEnum::ColumnDef(d)) = def {
                        self.add_column(&table, d, site);
                    }
                }
                AlterTableType::AtAddConstraint => {
                    if let Some(NodeEnum::Constraint(c)) = def {
                        self.add_constraint(&table, c, &[], site);
                    }
                }
                AlterTableType::AtDropColumn => self.drop_column(&table, &cmd.name),
                AlterTableType::AtDropConstraint => self.drop_constraint(&table, &cmd.name),
                AlterTableType::AtAlterColumnType => {
                    if let (Some(NodeEnum::ColumnDef(d)), Some(t)) =
                        (def, self.tables.get_mut(&table))
                    {
                        if let (Some(c), Some(ty)) = (t.columns.get_mut(&cmd.name), &d.type_name) {
                            c.type_name = schema::type_name(ty);
                        }
                    }
                }
                AlterTableType::AtEnableRowSecurity | AlterTableType::AtForceRowSecurity => {
                    if let (Some(t), true) = (self.tables.get_mut(&table), site.is_some()) {
                        t.rls = true;
                    }
                }
                AlterTableType::AtDisableRowSecurity => {
                    if let Some(t) = self.tables.get_mut(&table) {
                        t.rls = false;
                    }
                }
                _ => {}
            }
        }
    }

    fn drop_column(&mut self, table: &str, column: &str) {
        if let Some(t) = self.tables.get_mut(table) {
            t.columns.remove(column);
        }
        // PostgreSQL drops the indexes and foreign keys that use the column.
        self.indexes
            .retain(|_, i| !(i.table == table && i.elements.iter().any(|e| e == column)));
        self.foreign_keys
            .retain(|f| !(f.table == table && f.columns.iter().any(|c| c == column)));
    }

    fn drop_constraint(&mut self, table: &str, name: &str) {
        self.indexes
            .retain(|_, i| !(i.table == table && i.constraint.as_deref() == Some(name)));
        self.foreign_keys
            .retain(|f| !(f.table == table && f.name == name));
        if let Some(t) = self.tables.get_mut(table) {
            if t.primary_key.as_deref() == Some(name) {
                t.primary_key = None;
            }
        }
    }

    fn rename(&mut self, s: &pg_query::protobuf::RenameStmt, site: SiteOf) {
        let kind = ObjectType::try_from(s.rename_type).unwrap_or(ObjectType::Undefined);
        let table = s.relation.as_ref().map(key_of);
        let named = |k: Kind| site.map(|f| (k, f(-1)));
        match (kind, &table) {
            (ObjectType::ObjectTable, Some(old)) => {
                let schema = s.relation.as_ref().map(|r| r.schemaname.as_str());
                let new = names::key(schema.unwrap_or(""), &s.newname);
                if let Some(mut t) = self.tables.remove(old) {
                    t.name = s.newname.clone();
                    self.tables.insert(new.clone(), t);
                }
                for i in self.indexes.values_mut().filter(|i| &i.table == old) {
                    i.table = new.clone();
                }
                for f in self.foreign_keys.iter_mut() {
                    if &f.table == old {
                        f.table = new.clone();
                    }
                    if &f.references == old {
                        f.references = new.clone();
                    }
                }
                if let Some((k, site)) = named(Kind::Table) {
                    self.name(k, &s.newname, None, &[], "", site);
                }
            }
            (ObjectType::ObjectColumn, Some(t)) => {
                if let Some(tab) = self.tables.get_mut(t) {
                    if let Some(c) = tab.columns.remove(&s.subname) {
                        tab.columns.insert(s.newname.clone(), c);
                    }
                }
                for i in self.indexes.values_mut().filter(|i| &i.table == t) {
                    for e in i.elements.iter_mut().filter(|e| **e == s.subname) {
                        *e = s.newname.clone();
                    }
                }
                for f in self.foreign_keys.iter_mut().filter(|f| &f.table == t) {
                    for c in f.columns.iter_mut().filter(|c| **c == s.subname) {
                        *c = s.newname.clone();
                    }
                }
                if let Some((k, site)) = named(Kind::Column) {
                    let t = t.clone();
                    self.name(k, &s.newname, Some(&t), &[], "", site);
                }
            }
            (ObjectType::ObjectIndex, Some(old)) => {
                let schema = s.relation.as_ref().map(|r| r.schemaname.as_str());
                if let Some(mut i) = self.indexes.remove(old) {
                    i.name = s.newname.clone();
                    let t = i.table.clone();
                    self.indexes
                        .insert(names::key(schema.unwrap_or(""), &s.newname), i);
                    if let Some((k, site)) = named(Kind::Index) {
                        self.name(k, &s.newname, Some(&t), &[], "idx", site);
                    }
                }
            }
            (ObjectType::ObjectTabconstraint, Some(t)) => {
                for i in self.indexes.values_mut().filter(|i| &i.table == t) {
                    if i.constraint.as_deref() == Some(s.subname.as_str()) {
                        i.constraint = Some(s.newname.clone());
                    }
                }
                for f in self.foreign_keys.iter_mut().filter(|f| &f.table == t) {
                    if f.name == s.subname {
                        f.name = s.newname.clone();
                    }
                }
                if let Some(tab) = self.tables.get_mut(t) {
                    if tab.primary_key.as_deref() == Some(s.subname.as_str()) {
                        tab.primary_key = Some(s.newname.clone());
                    }
                }
                if let Some((k, site)) = named(Kind::Constraint) {
                    let t = t.clone();
                    self.name(k, &s.newname, Some(&t), &[], "", site);
                }
            }
            _ => {}
        }
    }

    fn drop(&mut self, s: &pg_query::protobuf::DropStmt) {
        let kind = ObjectType::try_from(s.remove_type).unwrap_or(ObjectType::Undefined);
        for obj in nodes(&s.objects) {
            let NodeEnum::List(list) = obj else { continue };
            let key = names::list_key(&list.items);
            match kind {
                ObjectType::ObjectTable => {
                    self.tables.remove(&key);
                    self.indexes.retain(|_, i| i.table != key);
                    self.foreign_keys.retain(|f| f.table != key);
                }
                ObjectType::ObjectIndex => {
                    self.indexes.remove(&key);
                }
                _ => {}
            }
        }
    }

    fn comment(&mut self, c: &pg_query::protobuf::CommentStmt, in_scope: bool) {
        if !in_scope || c.comment.is_empty() {
            return;
        }
        let Some(NodeEnum::List(list)) = c.object.as_ref().and_then(|o| o.node.as_ref()) else {
            return;
        };
        let parts = names::strings(&list.items);
        match ObjectType::try_from(c.objtype).unwrap_or(ObjectType::Undefined) {
            ObjectType::ObjectTable => {
                if let Some(t) = self.tables.get_mut(&names::list_key(&list.items)) {
                    t.commented = true;
                }
            }
            ObjectType::ObjectColumn => {
                let Some((column, table)) = parts.split_last() else {
                    return;
                };
                let key = match table {
                    [name] => names::key("", name),
                    [.., schema, name] => names::key(schema, name),
                    [] => return,
                };
                if let Some(col) = self
                    .tables
                    .get_mut(&key)
                    .and_then(|t| t.columns.get_mut(column))
                {
                    col.commented = true;
                }
            }
            _ => {}
        }
    }
}

/// The schema part of a table key (`""` for `public`).
fn schema_of(table: &str) -> &str {
    table.rsplit_once('.').map_or("", |(s, _)| s)
}

fn new_table(rv: &RangeVar, site: Option<Site>) -> Table {
    Table {
        schema: if rv.schemaname.is_empty() {
            "public".into()
        } else {
            rv.schemaname.clone()
        },
        name: rv.relname.clone(),
        site,
        ..Table::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(shipped: &str, change: &str) -> Design {
        let mut d = Design::default();
        let site = |_: i32| Site {
            file: "f.sql".into(),
            version: "2".into(),
            line: 1,
            column: 1,
            statement: String::new(),
        };
        for (sql, in_scope) in [(shipped, false), (change, true)] {
            let parsed = pg_query::parse(sql, 0).expect("valid SQL");
            for raw in parsed.protobuf.stmts {
                if let Some(node) = raw.stmt.and_then(|n| n.node) {
                    d.apply(&node, if in_scope { Some(&site) } else { None });
                }
            }
        }
        d
    }

    #[test]
    fn keys_indexes_and_comments_follow_the_statements() {
        let d = design(
            "create table app.a (id bigint primary key, b_id int references b);
             create index on app.a (lower(name)) where deleted_at is null;",
            "alter table app.a rename column b_id to bee_id;
             create table c (x int, constraint c_pk primary key (x));
             alter table c drop constraint c_pk;
             comment on column app.a.bee_id is 'the b';
             alter table app.a enable row level security;",
        );
        let a = &d.tables["app.a"];
        assert_eq!(a.primary_key.as_deref(), Some("a_pkey"));
        assert!(a.site.is_none() && a.rls);
        assert!(a.columns["bee_id"].commented);
        assert_eq!(d.foreign_keys[0].columns, ["bee_id"]);
        assert_eq!(d.tables["c"].primary_key, None);
        let idx: Vec<_> = d.index_on("app.a").collect();
        assert_eq!(idx.len(), 2);
        assert!(idx.iter().any(|i| i.elements == ["(lower(name))"]
            && i.predicate.as_deref() == Some("deleted_at IS NULL")));
        assert_eq!(
            d.named
                .iter()
                .filter(|n| n.kind == Kind::Constraint)
                .count(),
            1
        );
    }
}
