//! What a SQL rule file imports with `use super::prelude::*;` (from its family
//! module): the context it is called with, the model it reports in, the parse-tree
//! helpers and the protobuf types rules match on.

pub use super::context::{alter_table, Ctx, EndCtx, MigrationState};
pub use crate::model::{Apply, Claim, Finding, Rule, Severity};
pub use crate::sql::ast::{
    bool_arg, column_default, constraints, contype, def_elems, deparse, deparse_expr,
    is_null_const, nodes, type_display,
};
pub use crate::sql::{names, schema};
pub use pg_query::protobuf::{
    AlterTableCmd, AlterTableType, ColumnDef, ConstrType, Constraint, DropBehavior, Node,
    ObjectType, RangeVar, TypeName,
};
pub use pg_query::NodeEnum;
